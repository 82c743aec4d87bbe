"""PPO (Schulman et al. 2017, "Proximal Policy Optimization Algorithms") in JAX + optax.

Small, pure pieces reused by M-FOS (a Gaussian meta-policy over memory-one logits) and by
independent learners on the coin game (categorical actions):

* :func:`init_actor_critic` / :func:`policy_and_value`: an MLP actor and critic.
* :func:`gae`: generalised advantage estimation (Schulman et al. 2016, eq. 16).
* :func:`ppo_loss`: the clipped surrogate (PPO eq. 7) + value loss + entropy bonus.
* :func:`ppo_update`: epochs x minibatches of Adam steps, one ``lax.scan``.

The rollout belongs to each user (M-FOS's meta-game, the coin game), since only they know
their environment; they hand over a :class:`Batch`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, cast

import jax
import jax.numpy as jnp
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # optax (the "learn" extra) is imported only when training starts
    import optax

Params = dict[str, Any]


class PPOConfig(BaseModel):
    """PPO settings (defaults close to CleanRL's and M-FOS's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lr: float = Field(default=3e-3, gt=0, description="Adam learning rate")
    gamma: float = Field(default=0.99, ge=0, le=1, description="discount of the returns PPO maximises")
    gae_lambda: float = Field(default=0.95, ge=0, le=1, description="GAE lambda")
    clip: float = Field(default=0.2, gt=0, description="probability-ratio clipping epsilon")
    epochs: int = Field(default=4, ge=1, description="passes over each batch")
    minibatches: int = Field(default=4, ge=1, description="minibatches per pass")
    entropy_coef: float = Field(default=0.0, ge=0, description="entropy bonus weight")
    value_coef: float = Field(default=0.5, ge=0, description="value loss weight")
    max_grad_norm: float = Field(default=0.5, gt=0, description="global gradient-norm clip")
    hidden: tuple[int, ...] = Field(default=(64, 64), description="hidden layer sizes of actor and critic")


class Batch(NamedTuple):
    """Flattened experience: obs (N, D), actions (N,) or (N, A), old log-probs (N,),
    advantages (N,), returns (N,)."""

    obs: jax.Array
    actions: jax.Array
    logp: jax.Array
    advantages: jax.Array
    returns: jax.Array


def _mlp_init(key: jax.Array, sizes: tuple[int, ...], last_scale: float) -> list[dict[str, jax.Array]]:
    layers = []
    keys = jax.random.split(key, len(sizes) - 1)
    for i, (k, n_in, n_out) in enumerate(zip(keys, sizes[:-1], sizes[1:], strict=True)):
        scale = last_scale if i == len(sizes) - 2 else jnp.sqrt(2.0)
        w = jax.nn.initializers.orthogonal(scale)(k, (n_in, n_out))
        layers.append({"w": w, "b": jnp.zeros(n_out)})
    return layers


def _mlp(layers: list[dict[str, jax.Array]], x: jax.Array) -> jax.Array:
    for layer in layers[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"])
    return x @ layers[-1]["w"] + layers[-1]["b"]


def init_actor_critic(key: jax.Array, obs_dim: int, action_dim: int, hidden: tuple[int, ...] = (64, 64),
                      continuous: bool = False, init_log_std: float = 0.0) -> Params:
    """Parameters of an MLP actor (logits, or Gaussian means) and critic."""
    ka, kc = jax.random.split(key)
    params: Params = {
        "actor": _mlp_init(ka, (obs_dim, *hidden, action_dim), 0.01),
        "critic": _mlp_init(kc, (obs_dim, *hidden, 1), 1.0),
    }
    if continuous:
        params["log_std"] = jnp.full(action_dim, init_log_std)
    return params


def policy_and_value(params: Params, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(actor output, value): logits for categorical actions, means for Gaussian ones."""
    return _mlp(params["actor"], obs), _mlp(params["critic"], obs)[..., 0]


def log_prob(params: Params, out: jax.Array, actions: jax.Array) -> jax.Array:
    """Log-probability of actions under the actor output (Gaussian if params has log_std)."""
    if "log_std" in params:
        log_std = params["log_std"]
        z = (actions - out) / jnp.exp(log_std)
        return jnp.sum(-0.5 * z**2 - log_std - 0.5 * jnp.log(2 * jnp.pi), axis=-1)
    logp = jax.nn.log_softmax(out)
    return jnp.take_along_axis(logp, actions[..., None].astype(jnp.int32), axis=-1)[..., 0]


def entropy(params: Params, out: jax.Array) -> jax.Array:
    if "log_std" in params:
        return jnp.sum(params["log_std"] + 0.5 * jnp.log(2 * jnp.pi * jnp.e)) * jnp.ones(out.shape[:-1])
    logp = jax.nn.log_softmax(out)
    return -jnp.sum(jnp.exp(logp) * logp, axis=-1)


def sample_action(key: jax.Array, params: Params, out: jax.Array) -> jax.Array:
    if "log_std" in params:
        return out + jnp.exp(params["log_std"]) * jax.random.normal(key, out.shape)
    return jax.random.categorical(key, out)


def gae(rewards: jax.Array, values: jax.Array, dones: jax.Array, last_value: jax.Array, gamma: float,
        lam: float) -> tuple[jax.Array, jax.Array]:
    """Advantages and returns, time-major: rewards/values/dones of shape (T, ...).

    ``delta_t = r_t + gamma V_{t+1} (1 - done_t) - V_t``;
    ``A_t = delta_t + gamma lambda (1 - done_t) A_{t+1}``.
    """

    def back(carry, x):
        adv_next, v_next = carry
        r, v, d = x
        delta = r + gamma * v_next * (1.0 - d) - v
        adv = delta + gamma * lam * (1.0 - d) * adv_next
        return (adv, v), adv

    _, adv = jax.lax.scan(back, (jnp.zeros_like(last_value), last_value), (rewards, values, dones), reverse=True)
    return adv, adv + values


def ppo_loss(params: Params, batch: Batch, cfg: PPOConfig) -> tuple[jax.Array, dict[str, jax.Array]]:
    out, value = policy_and_value(params, batch.obs)
    logp = log_prob(params, out, batch.actions)
    ratio = jnp.exp(logp - batch.logp)
    adv = (batch.advantages - batch.advantages.mean()) / (batch.advantages.std() + 1e-8)
    surrogate = jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - cfg.clip, 1 + cfg.clip) * adv)
    policy_loss = -surrogate.mean()
    value_loss = 0.5 * jnp.mean((value - batch.returns) ** 2)
    ent = entropy(params, out).mean()
    total = policy_loss + cfg.value_coef * value_loss - cfg.entropy_coef * ent
    return total, {"policy_loss": policy_loss, "value_loss": value_loss, "entropy": ent}


def make_optimizer(cfg: PPOConfig) -> optax.GradientTransformation:
    try:
        import optax
    except ImportError as exc:  # pragma: no cover - depends on the installation
        from interplay.errors import InterplayError

        raise InterplayError("PPO and M-FOS need optax: pip install 'interplay[learn]'.") from exc
    return optax.chain(optax.clip_by_global_norm(cfg.max_grad_norm), optax.adam(cfg.lr, eps=1e-5))


def ppo_update(params: Params, opt_state: Any, batch: Batch, key: jax.Array, cfg: PPOConfig,
               optimizer: optax.GradientTransformation) -> tuple[Params, Any, dict[str, jax.Array]]:
    """``cfg.epochs`` passes of ``cfg.minibatches`` shuffled minibatches (jit-able)."""
    import optax

    n = batch.obs.shape[0]
    size = n // cfg.minibatches

    def epoch(carry, k):
        params, opt_state = carry
        perm = jax.random.permutation(k, n)[: size * cfg.minibatches].reshape(cfg.minibatches, size)

        def minibatch(carry, idx):
            params, opt_state = carry
            mb = jax.tree_util.tree_map(lambda x: x[idx], batch)
            (_, info), grads = jax.value_and_grad(ppo_loss, has_aux=True)(params, mb, cfg)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            # optax returns the tree it was given (optax.Params is the union of every tree kind)
            return (cast(Params, optax.apply_updates(params, updates)), opt_state), info

        (params, opt_state), info = jax.lax.scan(minibatch, (params, opt_state), perm)
        return (params, opt_state), info

    (params, opt_state), info = jax.lax.scan(epoch, (params, opt_state), jax.random.split(key, cfg.epochs))
    return params, opt_state, jax.tree_util.tree_map(jnp.mean, info)
