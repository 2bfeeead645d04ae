# Study B null control: the beta-VAE at its seeded initialisation (zero training epochs) for every
# beta, through the same evaluation, summary and claim code; outputs mirror results/<scale>/dsprites_beta/.
B_NULL = f"{B_OUT}/null"
B_NULL_RUN = f"{B_NULL}/runs/beta{{beta}}"
B_NULL_TABLES = {k: f"{B_NULL}/{k}" for k in B_TABLES}
ALL_OUTPUTS += list(B_NULL_TABLES.values())


use rule dsprites_beta_train as dsprites_beta_null_init with:
    output:
        model=f"{B_NULL_RUN}/model.pt",
        history=f"{B_NULL_RUN}/history.csv",
        meta=f"{B_NULL_RUN}/train_meta.json",
    log:
        f"{B_NULL_RUN}/train.log",
    # zero training steps: no GPU to ask a cluster for
    resources:
        gpu=0,
    params:
        train={**B["train"], "epochs": 0},


use rule dsprites_beta_evaluate as dsprites_beta_null_evaluate with:
    input:
        data=f"{B_OUT}/data.pt",
        model=f"{B_NULL_RUN}/model.pt",
        history=f"{B_NULL_RUN}/history.csv",
    output:
        metrics=f"{B_NULL_RUN}/eval.json",
        codes=f"{B_NULL_RUN}/codes.pt",
    log:
        f"{B_NULL_RUN}/eval.log",


use rule dsprites_beta_summarise as dsprites_beta_null_summarise with:
    input:
        metrics=expand(f"{B_NULL_RUN}/eval.json", beta=B_BETAS),
        codes=expand(f"{B_NULL_RUN}/codes.pt", beta=B_BETAS),
    output:
        **B_NULL_TABLES,
    log:
        f"{B_NULL}/summarise.log",
