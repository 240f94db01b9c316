"""TorchRL's ``step_and_maybe_reset``, the short way, for an env whose ``_step`` output is exact.

A collector (and ``rollout``) drives an env through ``EnvBase._step_and_maybe_reset``: ``step`` (checks,
``_step``, ``_step_proc_data``, ``td["next"] = ...``), then ``step_mdp`` (the root of the next step: the
input's keys but the ``"next"``/done/reward ones, then the action and the next observation and done
flags), then ``maybe_reset``. In-process, that generic path is a fifth of a step: it walks key trees
and validates every value, where :class:`~.env.LiveTradingEnv`'s ``_step`` already returns every key
of its specs at its shape and dtype, on its device.

:class:`LeanStepAndReset` does the same three things directly, with the very key lists TorchRL's own
``_StepMDP`` computed for the env, whenever the call is the plain case: an unbatched env with locked
specs and no type checks, a plain ``TensorDict`` on the env's device, no partial step (``"_step"``),
no preset ``"next"``, no post-``step_mdp`` hook, no native auto-reset. Anything else takes TorchRL's
path.
``tests/unit/test_lean_step.py`` checks both paths give the same TensorDicts, episode ends included.
"""

from __future__ import annotations

from typing import Any

from tensordict import TensorDict, TensorDictBase, is_tensor_collection
from tensordict.utils import is_non_tensor
from torchrl.envs import EnvBase


class LeanStepAndReset(EnvBase):
    """Mixin of an unbatched ``EnvBase``: ``_step_and_maybe_reset`` without the generic machinery."""

    def _step_and_maybe_reset(self, tensordict: TensorDictBase) -> tuple[TensorDictBase, TensorDictBase]:
        keys = self._lean_keys(tensordict)
        if keys is None:
            return super()._step_and_maybe_reset(tensordict)
        exclude, from_root, from_next = keys
        nxt = self._step(tensordict)
        tensordict._set_str("next", nxt, validated=True, inplace=False)
        out: dict[str, Any] = {}
        for key, value in tensordict.items():
            if key not in exclude:
                out[key] = value.copy() if is_tensor_collection(value) else value
        for source, names in ((tensordict, from_root), (nxt, from_next)):
            for key in names:
                value = source._get_str(key, None)
                if value is not None:
                    out[key] = _carried(value)
        root = TensorDict._new_unsafe(out, batch_size=self.batch_size, device=self.device)
        if not self._lean_step_done():
            return tensordict, root  # what maybe_reset returns for a step that is not done
        return tensordict, self.maybe_reset(root)

    def _lean_step_done(self) -> bool:
        """Whether the step just taken is done (its ``done`` flag); an env that knows it without
        reading the tensor says so here."""
        raise NotImplementedError

    def _lean_keys(self, td: TensorDictBase) -> tuple[frozenset[str], list[str], list[str]] | None:
        """TorchRL's step_mdp key lists when this call is the plain case, else None."""
        if (
            type(td) is not TensorDict
            or self.run_type_checks
            or not self.is_spec_locked
            or self.batch_size
            or td.batch_size != self.batch_size
            or td.device != self.device
            or self._post_step_mdp_hooks is not None
            or self.__dict__.get("_torchrl_native_autoreset", False)
            or td._get_str("_step", None) is not None
            or td._get_str("next", None) is not None
        ):
            return None
        cached = self.__dict__.get("_lean_key_lists")
        if cached is None:
            mdp = self._step_mdp
            trees = (mdp.exclude_from_root, mdp.keys_from_root, mdp.keys_from_next)
            # Only flat keys (this env's specs): a nested one goes TorchRL's way, always.
            flat = all(isinstance(k, str) and v is None for tree in trees for k, v in tree.items())
            cached = (frozenset(trees[0]), list(trees[1]), list(trees[2])) if flat else False
            self.__dict__["_lean_key_lists"] = cached
        return cached or None


def _carried(value: Any) -> Any:
    """What ``_StepMDP`` puts in the next root: non-tensor data cloned, a sub-TensorDict copied."""
    if is_non_tensor(value):
        return value.clone()
    if is_tensor_collection(value):
        return value.copy()
    return value
