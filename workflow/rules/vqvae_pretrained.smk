# Study C4: the pretrained DALL-E dVAE (verified weights) or the pipeline's offline substitute, Figs 5.13-5.19.
