"""``pixlcraft models list|download|path``: the AI models SD-πXL uses, where they are and how to get them."""

from __future__ import annotations

import argparse

from .common import Parser, ProgressBar

ORDER = 80


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..models import MODELS, ROLES

    p = sub.add_parser("models", help="list, download or locate the AI models used by 'generate'")
    msub = p.add_subparsers(dest="models_cmd", required=True, parser_class=Parser)
    lp = msub.add_parser("list", help="which models are installed, where, and how big they are")
    lp.set_defaults(func=run_list)
    dp = msub.add_parser("download", help="fetch models into the Hugging Face cache (once, while online)")
    dp.add_argument("names", nargs="+", metavar="NAME|ID",
                    help=f"a short name ({', '.join(MODELS)}), 'all', or a Hugging Face id (with --role)")
    dp.add_argument("--role", choices=tuple(ROLES), help="what a Hugging Face id not known by name is for")
    dp.add_argument("--precision", choices=("fp16", "fp32"), default="fp16",
                    help="fp16 (default, half the download; up-cast when fp32 is needed) or fp32 weight files")
    dp.set_defaults(func=run_download)
    pp = msub.add_parser("path", help="print the folder models are stored in")
    pp.set_defaults(func=run_path)


def _size(n_bytes: float) -> str:
    if n_bytes >= 1e9:
        return f"{n_bytes / 1e9:.1f} GB"
    return f"{n_bytes / 1e6:.0f} MB"


def run_list(args: argparse.Namespace) -> int:
    from ..models import ROLES, model_cache_dir, model_status

    rows = model_status()
    print(f"Model folder: {model_cache_dir()}")
    print(f"{'name':<18} {'used as':<32} {'status':<14} {'size':>8}  repository / path")
    missing = 0
    for row in rows:
        spec = row.spec
        if row.installed:
            status, size, where = "installed", _size(row.bytes_on_disk), str(row.path)
        else:
            missing += 1
            status = "incomplete" if row.path is not None else "not installed"
            size, where = "~" + _size(spec.download_size_mb() * 1e6), spec.repo_id
        print(f"{spec.name:<18} {ROLES[spec.role][0]:<32} {status:<14} {size:>8}  {where}")
    if missing:
        print("Get a missing model with: pixlcraft models download NAME (or all). Each 'generate' flag such as "
              "--base-model also takes a local folder instead.")
    return 0


def run_download(args: argparse.Namespace) -> int:
    from ..addon import require_engine
    from ..errors import InputError
    from ..jobs import Reporter
    from ..models import MODELS, ModelMissingError, download_model, hub_offline, model_cache_dir

    require_engine()  # downloads go through huggingface_hub, part of the AI engine
    names = list(MODELS) if args.names == ["all"] else args.names
    if "all" in names:
        raise InputError("'all' downloads every model; give it alone, not with other names.")
    for name in names:
        bar = ProgressBar(unit="B")
        try:
            loc = download_model(name, role=args.role, precision=args.precision, reporter=Reporter(bar))
        except ModelMissingError as exc:
            if hub_offline():
                raise ModelMissingError(
                    f"Cannot download '{name}': downloads are switched off on this computer (HF_HUB_OFFLINE is "
                    f"set). Unset HF_HUB_OFFLINE and connect to the internet, or copy the model folder here "
                    f"from another computer and pass it with its flag (e.g. --base-model DIR). Models go to "
                    f"{model_cache_dir()}."
                ) from exc
            raise
        finally:
            bar.close()
        how = "already in the cache" if loc.source == "cache" else "downloaded"
        print(f"{name}: {how}, {loc.path}")
    return 0


def run_path(args: argparse.Namespace) -> int:
    from ..models import model_cache_dir

    print(model_cache_dir())
    return 0
