"""The one source of truth for a run's options: typed, frozen sections declared once.

:mod:`~bci_attn.config.schema` declares what an option is, :mod:`~bci_attn.config.sections`
the options themselves, :mod:`~bci_attn.config.files` reads and writes configuration files,
and :mod:`~bci_attn.config.recipes` holds the named partial configurations a run starts
from. Nothing here imports torch, Lightning, MNE or MOABB, so that a bad value is refused
at once.
"""

from .files import Layer, build, from_stored, load_config, read_document, read_yaml, to_yaml
from .recipes import Recipe, recipe_names, recipes, resolve_recipe
from .schema import ConfigError, Option, Spec, option, parse_subjects
from .sections import (
    SECTIONS,
    DataConfig,
    EvaluationConfig,
    ExecutionConfig,
    ModelConfig,
    RunConfig,
    TrainingConfig,
    all_options,
    section_of,
)

__all__ = [
    "SECTIONS",
    "ConfigError",
    "DataConfig",
    "EvaluationConfig",
    "ExecutionConfig",
    "Layer",
    "ModelConfig",
    "Option",
    "Recipe",
    "RunConfig",
    "Spec",
    "TrainingConfig",
    "all_options",
    "build",
    "from_stored",
    "load_config",
    "option",
    "parse_subjects",
    "read_document",
    "read_yaml",
    "recipe_names",
    "recipes",
    "resolve_recipe",
    "section_of",
    "to_yaml",
]
