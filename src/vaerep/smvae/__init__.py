"""Study A: Scale Mixtures VAE on c-MNIST: data access, evaluation, figures and claim checks."""
