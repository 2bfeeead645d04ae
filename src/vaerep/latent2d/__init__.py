"""Study D: a convolutional VAE with a 2-D latent on MNIST (extraction shared/spec/seed_004.md): evaluation,
figures, claims."""
