"""The options several commands share, and shell completion for them (loss names, config keys, folders).
Each completer imports what it needs only when the shell asks, so `--help` stays instant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def complete_loss(incomplete: str) -> list[tuple[str, str]]:
    from circles_hinge.losses import LOSSES

    return [(name, spec.display) for name, spec in LOSSES.items() if name.startswith(incomplete)]


def complete_losses(incomplete: str) -> list[str]:
    """--losses hinge,sq<TAB> -> hinge,squared_hinge: the last name of the list, not given before."""
    from circles_hinge.losses import LOSSES

    head, _, last = incomplete.rpartition(",")
    given = set(head.split(",")) if head else set()
    prefix = f"{head}," if head else ""
    return [prefix + name for name in LOSSES if name.startswith(last) and name not in given]


def complete_key(incomplete: str) -> list[str]:
    """--set / --grid: the config's dotted keys, each followed by '='."""
    from circles_hinge.config import config_keys

    if "=" in incomplete:
        return []
    return [f"{key}=" for key in config_keys() if key.startswith(incomplete)]


def complete_folder(incomplete: str) -> list[str]:
    """Folders starting with what was typed; at the start, those here and the run folders in outputs/."""
    parent = Path(incomplete) if incomplete.endswith("/") else Path(incomplete).parent
    roots = [parent] if "/" in incomplete else [Path("."), Path("outputs")]
    found = []
    for root in roots:
        try:
            folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError:
            continue
        found += [str(p) for p in folders if str(p).startswith(incomplete)]
    return found


ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", "-c", metavar="FILE", help="YAML config; its keys override the defaults."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="KEY=VALUE",
        autocompletion=complete_key,
        help="Override one key, e.g. --set training.epochs=50 (value parsed as YAML). Repeatable.",
    ),
]
# Numbers are read here, not by Typer, whose own message for `--epochs x` is pydantic's wording.
SeedOpt = Annotated[
    str | None,
    typer.Option("--seed", metavar="INTEGER", help="Seed for data, initial weights and shuffling."),
]
EpochsOpt = Annotated[
    str | None, typer.Option("--epochs", metavar="INTEGER", help="Number of training epochs.")
]
RunsDirOpt = Annotated[
    str,
    typer.Option(
        "--runs-dir", metavar="DIR", autocompletion=complete_folder, help="Where run folders are made."
    ),
]
ReadRunsDirOpt = Annotated[
    str,
    typer.Option(
        "--runs-dir", metavar="DIR", autocompletion=complete_folder, help="The folder of runs to read."
    ),
]
MergeRunsDirOpt = Annotated[
    str,
    typer.Option(
        "--runs-dir", metavar="DIR", autocompletion=complete_folder, help="Where the merged folder is made."
    ),
]
PictureRunsDirOpt = Annotated[
    str,
    typer.Option(
        "--runs-dir",
        metavar="DIR",
        autocompletion=complete_folder,
        help="Where the picture goes when --out is not given (as losses.png).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document (path, status, metrics or report) on stdout; "
        "the summary and progress go to stderr.",
    ),
]


LossesOpt = Annotated[
    str,
    typer.Option(
        "--losses",
        metavar="LOSSES",
        autocompletion=complete_losses,
        help="Comma-separated losses, e.g. hinge,squared_hinge,binary_crossentropy.",
    ),
]
SeedsOpt = Annotated[
    str | None,
    typer.Option(
        "--seeds",
        metavar="INTEGER",
        help="Seed study: train seeds seed..seed+N-1 for each loss, all at once.",
    ),
]
NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="NAME",
        help="Folder name instead of a generated one: letters and digits (any alphabet), '.', '_', '+', '-'.",
    ),
]
LossOpt = Annotated[
    str | None,
    typer.Option(
        "--loss",
        "-l",
        metavar="LOSS",
        autocompletion=complete_loss,
        help="hinge | squared_hinge | binary_crossentropy | modified_huber | perceptron | "
        "categorical_hinge | multiclass_svm (the last two for k classes).",
    ),
]
TrainNameOpt = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="NAME",
        help="Folder name instead of <time>-<loss>-s<seed>: letters and digits (any alphabet), "
        "'.', '_', '+', '-'.",
    ),
]
BaselinesOpt = Annotated[
    bool,
    typer.Option(
        "--baselines",
        help="Also fit scikit-learn's LinearSVC, SGDClassifier with the run's loss and SVC(kernel='rbf') on "
        "the same training part, and report them beside the network.",
    ),
]
AnimateOpt = Annotated[bool, typer.Option("--animate", help="Also write training.gif, one frame per epoch.")]
CompareAnimateOpt = Annotated[
    bool, typer.Option("--animate", help="Also write training.gif in each loss's run folder.")
]
ReplaysOpt = Annotated[
    bool,
    typer.Option(
        "--replays",
        help="With --seeds: keep every seed's weights at every epoch, so report.html replays any seed "
        "you click. Each seed adds its own points and weights to the page, which stays under 2 MB: "
        "at most 55 seeds with the default config and two losses (21.5 kB a seed); fewer with more "
        "samples, epochs or losses.",
    ),
]
GridOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--grid",
        metavar="KEY=V1,V2,...",
        autocompletion=complete_key,
        help="One axis of a grid, e.g. --grid data.noise=0,0.05,0.1 (values read as YAML). Repeatable: "
        "the grid is the cross product of the axes.",
    ),
]
ParamOpt = Annotated[
    str | None,
    typer.Option(
        "--param", metavar="KEY", help="The one-axis form: the config key to vary, e.g. data.noise."
    ),
]
ValuesOpt = Annotated[
    str | None,
    typer.Option("--values", metavar="VALUES", help="With --param: comma-separated values, e.g. 0,0.1,0.2."),
]
SweepSeedsOpt = Annotated[
    str | None, typer.Option("--seeds", metavar="INTEGER", help="Seeds per cell and loss (default 10).")
]
WorkersOpt = Annotated[
    str | None,
    typer.Option(
        "--workers",
        metavar="N",
        help="Processes that train independent groups (different losses or graphs) side by side; "
        "default: the number of cores. The results are the same for any N.",
    ),
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="I/N|auto",
        help="Train only the I-th of N disjoint parts of the grid, into its own folder; "
        "`circles-hinge merge` puts the N folders together. --shard auto (or auto/N) reads I and N "
        "from a SLURM array (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or "
        "SLURM_ARRAY_TASK_MIN/MAX; without MIN the array is taken to start at 1) or from GNU "
        "parallel (PARALLEL_SEQ is I; give N as auto/N); with --name NAME each shard's folder is "
        "NAME-shardIofN.",
    ),
]
ResumeOpt = Annotated[
    Path | None,
    typer.Option(
        "--resume",
        metavar="FOLDER",
        readable=False,  # the door says what is wrong with the folder, in its own words
        autocompletion=complete_folder,
        help="Finish a sweep that was stopped, in its folder, keeping the cells it finished.",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="FILE|DIR",
        help="Where to write the picture: a .png, .svg or .pdf file, or a folder (losses.png in it).",
    ),
]
SuccessOpt = Annotated[
    str | None,
    typer.Option(
        "--success",
        metavar="ACCURACY",
        help="A seed succeeds from this test accuracy, e.g. 0.95 (default 0.99); recorded in the folder "
        "and shown on every page.",
    ),
]
RunsJsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON list on stdout instead of the table.")
]
