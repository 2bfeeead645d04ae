# Study C1: four MNIST VAEs with a 2-D latent (M1-M4), Figs 5.1-5.4 and their loss table.
