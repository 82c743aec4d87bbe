"""DiCE: the magic box, unbiased gradients against the exact ones, and sampled-play learning."""

import jax
import jax.numpy as jnp
import numpy as np

from interplay.agents.learners import differentiable
from interplay.agents.learners.dice import DiCEConfig, dice_objective, sample_episodes, train_dice
from interplay.agents.learners.dice_objective import magic_box

IPD = differentiable("ipd-v1", convention="lola", discount=0.96)


def test_magic_box_derivatives():
    f = lambda x: jnp.sin(x) * x**2  # noqa: E731
    box = lambda x: magic_box(f(x))  # noqa: E731
    x = 0.7
    assert float(box(x)) == 1.0
    d1 = jax.grad(box)(x)
    d2 = jax.grad(jax.grad(box))(x)
    f1 = jax.grad(f)(x)
    f2 = jax.grad(jax.grad(f))(x)
    np.testing.assert_allclose(d1, f1, rtol=1e-6)
    np.testing.assert_allclose(d2, f2 + f1**2, rtol=1e-5)  # d^2 box(f) = (f'' + f'^2) box(f)


def test_dice_gradient_is_unbiased_against_exact_gradient():
    th1, th2 = jax.random.normal(jax.random.PRNGKey(3), (2, 5))
    exact = np.asarray(jax.grad(lambda t: IPD.values(t, th2)[0])(th1))

    @jax.jit
    def estimate(key):
        ep = sample_episodes(key, th1, th2, IPD.payoffs, 4000, 200)
        return jax.grad(lambda t: dice_objective(t, th2, ep, 0.96, 0, True))(th1)

    est = np.stack([np.asarray(estimate(k)) for k in jax.random.split(jax.random.PRNGKey(4), 10)])
    mean, se = est.mean(0), est.std(0, ddof=1) / np.sqrt(len(est))
    # truncation at 200 steps changes the value by at most gamma^200 * 3 / (1 - gamma) < 0.03
    assert np.all(np.abs(mean - exact) < 4 * se + 0.05), (mean, exact, se)


def test_pg_defects_and_lola_dice_does_better():
    pg = train_dice(IPD, DiCEConfig(kind="pg"), DiCEConfig(kind="pg"), num_seeds=4, num_updates=100, batch=64,
                    horizon=100)
    assert pg.headline.mean() < -1.8  # naive policy-gradient learners learn to defect
    assert pg.final_policies().shape == (4, 2, 5)
    lola = train_dice(IPD, DiCEConfig(), DiCEConfig(), num_seeds=4, num_updates=100, batch=64, horizon=100)
    assert lola.headline.mean() > pg.headline.mean() + 0.1
