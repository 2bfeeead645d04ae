"""Study C (seed_002): VQ-VAE on MNIST and manipulations of its quantised latent grid."""
