# Issue 11 "why the numbers differ": hypothesis runs and the forensics table (results/<scale>/forensics.*).
F_OUT = RES + "/forensics"
F_FIG = FIG + "/forensics"
F_PARTS = []

if "smvae" in config["studies"]:
    FA = A["forensics"]
    FA_RUN = F_OUT + "/smvae/runs/{variant}/seed{seed}"
    FA_RUNS = [(v, s) for v in FA["variants"] for s in FA["seeds"]]
    FA_BASE_RUNS = sorted({(spec["base"], s) for spec in FA["variants"].values() for s in A["seeds"]})

    def fa_spec(variant):
        """A forensics variant's model spec: its Table 4.1 base variant with the hypothesis's settings."""
        hyp = FA["variants"][variant]
        changed = {k: v for k, v in hyp.items() if k not in ("base", "hypothesis")}
        return {**A_VARIANTS[hyp["base"]], **changed}

    use rule smvae_train as forensics_smvae_train with:
        output:
            model=FA_RUN + "/model.pt",
            history=FA_RUN + "/history.csv",
            meta=FA_RUN + "/train_meta.json",
        params:
            spec=lambda w: fa_spec(w.variant),
            train=A["train"],
            n_train_images=A["n_train_images"],
            subset_seed=A["subset_seed"],
            device=config["device"],
        log:
            FA_RUN + "/train.log",
