"""Model families of the four studies."""
