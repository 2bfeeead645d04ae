"""Study B: beta-VAE on dSprites (data split, evaluation, MIG, PCA, figures)."""
