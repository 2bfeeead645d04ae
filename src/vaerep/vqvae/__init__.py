"""Study C (extraction shared/spec/seed_002.md): VQ-VAE on MNIST and manipulations of its quantised latent grid."""
