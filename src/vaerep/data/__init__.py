"""Datasets: MNIST access and the derived c-MNIST."""
