"""Seed-batched training: K copies of one MLP model (one per seed) trained as one model.

The members' weights are stacked along a new leading dimension and live inside one copy of the model
(a Linear weight as ``(K, in, out)``, transposed so that the batched matmul and its backward need no
copies), so the model's own ``loss_terms`` code runs unchanged on the members' batches
concatenated member-major (``K * B`` rows). While it runs, a torch function mode

- turns each ``F.linear`` with stacked weights into one batched matmul (member k's rows meet member
  k's weights only),
- turns each full reduction (``.mean()`` / ``.sum()`` without ``dim``) of a ``K * B``-row tensor into
  K per-member reductions, so every loss term comes back as a ``(K,)`` vector,
- draws each random tensor (``randn``, ``rand``, their ``_like`` forms, the Gamma sampler) member by
  member from the member's own ``torch.Generator``, seeded like a separate run's global RNG,
  and stops with a clear message on any other random operation.

Adam is elementwise, so one optimizer over the stacked weights is K independent optimizers: each
member's numbers equal those of a separate run up to float round-off (``tests/test_ensemble.py``).
Supported: models whose parameters all belong to ``nn.Linear`` layers and whose loss is a sum of
per-row terms (Study A's SMVAE).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from .errors import PipelineError
from .initialisation import init_parameters

_RANDN = {torch.randn, torch.rand}
_RANDN_LIKE = {torch.randn_like: torch.randn, torch.rand_like: torch.rand}
_REDUCTIONS = {torch.mean, torch.Tensor.mean, torch.sum, torch.Tensor.sum}
_OTHER_RANDOM = {torch.normal, torch.bernoulli, torch.Tensor.bernoulli_, torch.randint, torch.randint_like,
                 torch.multinomial, torch.poisson, torch.randperm, torch.Tensor.normal_, torch.Tensor.uniform_,
                 torch.Tensor.exponential_, torch.Tensor.random_, F.dropout, torch.dropout, torch._sample_dirichlet}


class _MemberMode(TorchFunctionMode):
    """Routes batched matmuls, per-member reductions and per-member random draws (see module doc)."""

    def __init__(self, k: int, rows: int, generators: Sequence[torch.Generator]):
        super().__init__()
        self.k, self.rows, self.generators = k, rows, generators

    def _per_member(self, draw: Callable[[int, torch.Generator], torch.Tensor]) -> torch.Tensor:
        return torch.cat([draw(i, g) for i, g in enumerate(self.generators)])

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.linear and args[1].dim() == 3:
            x, weight = args[0], args[1]
            bias = args[2] if len(args) > 2 else kwargs.get("bias")
            xs = x.reshape(self.k, -1, x.shape[-1])
            out = torch.bmm(xs, weight) if bias is None else torch.baddbmm(bias.unsqueeze(1), xs, weight)
            return out.reshape(*x.shape[:-1], weight.shape[2])
        if func in _REDUCTIONS and len(args) == 1 and not kwargs and args[0].dim() and args[0].shape[0] == self.rows:
            return func(args[0].reshape(self.k, -1), dim=1)
        if func in _RANDN or func in _RANDN_LIKE:
            if func in _RANDN_LIKE:
                like = args[0]
                shape = tuple(like.shape)
                kwargs = {"dtype": like.dtype, "device": like.device, **kwargs}
                func = _RANDN_LIKE[func]
            else:
                shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else tuple(args)
            self._check_rows(func, shape)
            member = (shape[0] // self.k, *shape[1:])
            return self._per_member(lambda i, g: func(member, generator=g, **kwargs))
        if func is torch._standard_gamma:
            conc = args[0]
            self._check_rows(func, tuple(conc.shape))
            chunks = conc.chunk(self.k)
            return self._per_member(lambda i, g: torch._standard_gamma(chunks[i], generator=g))
        if func in _OTHER_RANDOM:
            raise PipelineError(f"seed-batched training cannot give {getattr(func, '__name__', func)} a "
                                "per-member random stream: train this model with batch_seeds off")
        return func(*args, **kwargs)

    def _check_rows(self, func, shape):
        if not shape or shape[0] != self.rows:
            raise PipelineError(f"seed-batched training: {getattr(func, '__name__', func)} drew a tensor of "
                                f"shape {shape}, whose first dimension is not the {self.rows} batch rows")


class Ensemble(nn.Module):
    """K members of ``build(spec)``, member k initialised from ``seeds[k]`` exactly as a separate run
    (``vaerep.initialisation.init_parameters``). ``loss_terms(x)`` takes the members' batches stacked
    member-major (``K * B`` rows) and returns each term as a ``(K,)`` vector."""

    def __init__(self, build: Callable[[dict], nn.Module], spec: dict, seeds: Sequence[int]):
        super().__init__()
        if len(seeds) == 0 or len(set(seeds)) != len(seeds):
            raise PipelineError(f"an ensemble needs distinct seeds, got {list(seeds)}")
        self.build, self.spec, self.seeds = build, spec, list(seeds)
        members = []
        for seed in self.seeds:
            member = build(spec)
            init_parameters(member, seed)
            members.append(member)
        self.model = members[0]
        for name, module in self.model.named_modules():
            own = list(module.parameters(recurse=False)) + list(module.buffers(recurse=False))
            if own and not isinstance(module, nn.Linear):
                raise PipelineError(f"seed-batched training supports nn.Linear layers only; '{name}' is a "
                                    f"{type(module).__name__}: train this model with batch_seeds off")
        for name, module in self.model.named_modules():
            if isinstance(module, nn.Linear):
                for pname in ("weight", "bias"):
                    if getattr(module, pname) is not None:
                        stacked = torch.stack([m.get_submodule(name).get_parameter(pname).detach()
                                               for m in members])
                        setattr(module, pname, nn.Parameter(stacked.mT.contiguous() if pname == "weight"
                                                            else stacked))
        names = [name for name, _ in self.model.named_parameters()]
        self._transposed = {name for name in names if name.endswith("weight")}  # Linear weights: (K, in, out)
        self.transposed_index = [i for i, name in enumerate(names) if name in self._transposed]
        self.generators: list[torch.Generator] | None = None

    @property
    def k(self) -> int:
        return len(self.seeds)

    def reseed(self, seeds: Sequence[int], device: torch.device) -> None:
        """Per-member random streams for the next steps: member k's generator seeded with ``seeds[k]``."""
        self.generators = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]

    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each loss term of every member, shape (K,), from the members' batches stacked member-major."""
        if self.generators is None:
            raise PipelineError("Ensemble.loss_terms called before reseed(): the members have no random streams")
        with _MemberMode(self.k, x.shape[0], self.generators):
            terms = self.model.loss_terms(x)
        bad = [key for key, value in terms.items() if value.shape != (self.k,)]
        if bad:
            raise PipelineError(f"seed-batched training: loss terms {bad} are not per-member means (is the "
                                "loss a mean over the batch rows?)")
        return terms

    def member_state_dict(self, i: int) -> dict[str, torch.Tensor]:
        """Member ``i``'s weights under the plain model's names (what a separate run saves)."""
        return {name: (value[i].T.contiguous() if name in self._transposed else value[i].clone()).detach()
                for name, value in self.model.state_dict().items()}

    def load_member_state_dict(self, i: int, state: dict[str, torch.Tensor]) -> None:
        """Overwrite member ``i``'s weights with those of a plain model's state dict."""
        own = self.model.state_dict()
        if set(own) != set(state):
            raise PipelineError(f"member state has keys {sorted(state)}, expected {sorted(own)}")
        with torch.no_grad():
            for name, value in own.items():
                value[i].copy_(state[name].T if name in self._transposed else state[name])

    def member(self, i: int) -> nn.Module:
        """A plain model holding member ``i``'s weights (for evaluation)."""
        model = self.build(self.spec)
        model.load_state_dict(self.member_state_dict(i))
        return model.to(next(self.parameters()).device)

    def member_optimizer_state_dict(self, state: dict, i: int) -> dict:
        """Member ``i``'s slice of an optimizer state dict over the stacked parameters, in a separate
        run's layout (elementwise optimizers such as Adam; per-parameter scalars such as ``step`` are
        shared and copied)."""
        transposed = self.transposed_index

        def one(p, v):
            if not torch.is_tensor(v):
                return v
            if not v.dim():
                return v.clone()
            return v[i].T.contiguous() if p in transposed else v[i].clone()  # own, contiguous storage

        return {"state": {p: {key: one(p, v) for key, v in s.items()} for p, s in state["state"].items()},
                "param_groups": state["param_groups"]}

    def stacked_optimizer_state_dict(self, states: Sequence[dict]) -> dict:
        """The optimizer state dict over the stacked parameters whose member slices are ``states``."""
        transposed = self.transposed_index

        def stack(p, key, v):
            if not (torch.is_tensor(v) and v.dim()):
                return v
            return torch.stack([st["state"][p][key].T if p in transposed else st["state"][p][key]
                                for st in states])

        first = states[0]
        stacked = {p: {key: stack(p, key, v) for key, v in s.items()} for p, s in first["state"].items()}
        return {"state": stacked, "param_groups": first["param_groups"]}
