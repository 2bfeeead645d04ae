"""Study D: a convolutional VAE with a 2-D latent on MNIST (seed_004): evaluation, figures, claims."""
