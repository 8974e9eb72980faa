"""Named training recipes: the values a run starts from before the options it is given.

A recipe is a set of :class:`~bci_attn.experiment.RunConfig` values. ``bci_attn.run``, its
configuration files, sweeps and selections start from the recipe, then apply the file's
and the command line's options on top, so every part of a recipe can be switched off or
changed (``--batch-size 64``, ``--align none``, ``--augment ""``, ...). ``auto``, the
default, picks the cross-subject recipe for the protocols that test on unseen subjects
and the plain one otherwise.

=================  ============================================================
``plain``          :class:`RunConfig`'s own defaults: AdamW 1e-3, batch 64, 30 epochs,
                   last epoch, no alignment, no augmentation.
``cross-subject``  batch 16 (4x the optimiser steps at the same compute), chosen by the
                   nested selection of ``experiments/recipe_selection.yaml`` on training
                   subjects only (see ``experiments/recipe_selection/selection.md``).
=================  ============================================================

A :class:`RunConfig` holds the values themselves; its ``recipe`` field records the name
of the recipe they started from (written in the run folder's ``config.json``). Building a
``RunConfig`` directly applies no recipe: its defaults are the plain recipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Protocols whose test subjects are unseen in training: ``auto`` gives them the
#: cross-subject recipe.
CROSS_SUBJECT_PROTOCOLS = ("loso", "holdout", "cross-dataset")


@dataclass(frozen=True)
class Recipe:
    """A named set of run options.

    Parameters
    ----------
    summary : str
        One line for ``--list-recipes``.
    settings : dict
        :class:`~bci_attn.experiment.RunConfig` field -> value.
    """

    summary: str
    settings: dict = field(default_factory=dict)


RECIPES: dict[str, Recipe] = {
    "plain": Recipe("RunConfig's defaults: AdamW 1e-3, batch 64, 30 epochs, last epoch"),
    # experiments/recipe_selection.yaml chose it (nested, training subjects only): batch
    # 16 was the candidate chosen most often (3 of 10 outer folds, tied with two others
    # and first in the space) and the best on the inner subjects on average (56.8 %
    # against 50.2 % for plain); alignment, augmentation with SWA and the sensorimotor
    # electrodes were not chosen more often. See experiments/recipe_selection/selection.md.
    "cross-subject": Recipe(
        "batch 16: 4x the optimiser steps of plain at the same compute (chosen by "
        "experiments/recipe_selection.yaml on training subjects only)",
        settings={"batch_size": 16},
    ),
}

#: Names ``--recipe`` and ``run.recipe`` take.
RECIPE_NAMES = ("auto", *RECIPES)


def resolve_recipe(name: str, protocol: str) -> str:
    """The recipe ``name`` means for ``protocol`` (``auto`` -> plain or cross-subject).

    Raises
    ------
    ValueError
        An unknown name, listing the recipes.
    """
    if name == "auto":
        return "cross-subject" if protocol in CROSS_SUBJECT_PROTOCOLS else "plain"
    if name not in RECIPES:
        raise ValueError(f"unknown recipe '{name}'; recipes: {', '.join(RECIPE_NAMES)}")
    return name


def with_recipe(options: dict, default_protocol: str) -> dict:
    """``options`` (RunConfig keyword arguments) on top of the recipe they name.

    Parameters
    ----------
    options : dict
        RunConfig field -> value, the options given; ``recipe`` (default ``auto``) names
        the recipe.
    default_protocol : str
        The protocol when ``options`` sets none (RunConfig's default).

    Returns
    -------
    dict
        The recipe's settings, then ``options``, with ``recipe`` resolved to a name of
        :data:`RECIPES`.
    """
    protocol = options.get("protocol", default_protocol)
    name = resolve_recipe(options.get("recipe", "auto"), protocol)
    return {**RECIPES[name].settings, **options, "recipe": name}
