"""What every command shares: reading the configuration from files and flags, quieting
the libraries, and turning errors into one line and an exit status.

Exit statuses: 0 done; 1 some units failed (their configurations and tracebacks are in
the study's ``failures.json``); 2 bad input (one line naming the flag or key and what is
allowed); 130 interrupted, by Ctrl-C or SIGTERM (finished units are kept: the same command
resumes).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..config import ConfigError, Layer, RunConfig, all_options, build, read_document, read_yaml
from ..config.files import rename
from ..quiet import quiet_libraries  # noqa: F401  re-exported: the commands call it from here
from .flags import flag_names, layer_from_args

#: The options a study's command line (sweep, select) sets for every one of its cells: how
#: and where units run, never what they compute.
STUDY_OPTIONS = [o for o in all_options() if o.section == "execution" and o.name != "out"]


def configuration(
    args: Any, options, files: list[str] | None = None, first: tuple[Layer, ...] = ()
) -> tuple[RunConfig, dict]:
    """The run's configuration: the recipe, then the layers ``first`` (a command's own
    defaults), then ``files`` in order, then the flags given.

    Returns
    -------
    config : RunConfig
    names : dict
        Option key -> how the user gave it (a flag, or ``file: key``), for later messages.
    """
    layers = [*first, *(read_document(read_yaml(path), str(path)) for path in files or [])]
    flags = layer_from_args(args, options)
    flags.recipe = getattr(args, "recipe", None)
    layers.append(flags)
    names = {**flag_names(options)}
    for layer in layers:
        names.update(layer.names)
    return build(layers, names), names


def study_layer(args: Any) -> Layer:
    """The study options given on a study's command line, every study option named by its
    flag (a rule between them names the flag even when only one was given)."""
    layer = layer_from_args(args, STUDY_OPTIONS)
    layer.names = {**flag_names(STUDY_OPTIONS), **layer.names}
    return layer


@contextmanager
def reported(
    prog: str, names: dict[str, str] | None = None, saved: Callable[[], int] | None = None
) -> Iterator[None]:
    """Turn what the block raises into one line and an exit status (see the module).

    ``names`` renames option keys in messages (flags, file keys); ``saved`` counts the
    units finished so far, for the interrupt's line.
    """
    from ..data import MissingDataError
    from ..studies.study import StudyFailed

    try:
        yield
    except ConfigError as error:
        _exit(prog, str(rename(error, names)) if names else str(error), 2)
    except (ValueError, MissingDataError) as error:
        _exit(prog, str(error), 2)
    except StudyFailed as error:
        _exit(prog, str(error), 1)
    except KeyboardInterrupt:
        kept = saved() if saved else 0
        sys.stderr.write(
            f"{prog}: interrupted; {kept} unit(s) finished in this run are kept, with every "
            "earlier one; run the same command to resume\n"
        )
        raise SystemExit(130) from None


def _exit(prog: str, message: str, status: int) -> None:
    lines = message.strip().splitlines() or [""]
    text = lines[0] if len(lines) == 1 else "\n".join(lines)
    sys.stderr.write(f"{prog}: error: {text}\n")
    raise SystemExit(status)


def study_main(
    argv: list[str] | None,
    prog: str,
    doc: str,
    study_class: type,
    add_arguments: Callable[[Any], None] | None = None,
    run: Callable[[Any, Any], Any] = lambda study, args: study.run(),
) -> int:
    """The command line of a study file: ``prog SPEC [--check] [execution flags]``.

    Parameters
    ----------
    doc : str
        The command's module docstring (its first line describes it).
    study_class : type
        Made from the file and the execution flags given (``study_class(path,
        overrides=layer)``); its ``noun`` names its cells and ``describe()`` lists them.
    add_arguments : callable, optional
        Adds the command's own flags to the parser.
    run : callable
        ``run(study, args)`` runs it.
    """
    from .flags import OneLineParser, add_option_flags

    parser = OneLineParser(prog=prog, description=doc.splitlines()[0].partition(": ")[2])
    parser.add_argument("spec", help=f"the {study_class.noun}' file (YAML)")
    parser.add_argument("--check", action="store_true", help="check everything and exit")
    if add_arguments is not None:
        add_arguments(parser)
    add_option_flags(parser, STUDY_OPTIONS)
    args = parser.parse_args(argv)
    with reported(prog):
        study = study_class(args.spec, overrides=study_layer(args))
    quiet_libraries()
    with reported(prog, flag_names(STUDY_OPTIONS), saved=lambda: study.saved):
        if args.check:
            study.validate()
            print(f"{args.spec}: {len(study.cells)} {study.noun} -> {study.out}")
            print("\n".join(study.describe()))
            return 0
        run(study, args)
    return 0
