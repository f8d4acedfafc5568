"""The SD-πXL step benchmark: its full-size configs match the published models, and its tiny run works.

The full-size models are built on the ``meta`` device (shapes only, nothing allocated), through the same
``build_model`` the benchmark uses on a GPU.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package; make it importable under plain `pytest`
    sys.path.insert(0, str(ROOT))

from benchmarks import sdpixl_step as bench  # noqa: E402
from benchmarks import sdxl_configs as published  # noqa: E402

META = torch.device("meta")


@pytest.fixture(scope="module")
def full_models():
    return {
        name: bench.build_model(published.CLASSES[name], published.CONFIGS[name], META, torch.float32)
        for name in ("unet", "taesd", "controlnet_canny")
    }


def test_full_size_models_build_on_meta_with_published_parameter_counts(full_models):
    for name, model in full_models.items():
        assert all(p.is_meta for p in model.parameters()), name  # nothing was allocated
        expected, source = published.PUBLISHED_PARAMS[name]
        got = bench.parameter_count(model)
        assert abs(got - expected) / expected < 0.01, f"{name}: {got:,} parameters, published {expected:,} ({source})"
    # the two mid ControlNets are one architecture with two weight sets
    assert published.CONTROLNET_DEPTH_MID == published.CONTROLNET_CANNY_MID
    assert published.PUBLISHED_PARAMS["controlnet_depth"][0] == published.PUBLISHED_PARAMS["controlnet_canny"][0]


def test_mid_controlnet_has_the_checkpoint_signature_diffusers_detects():
    """diffusers' single-file loader tells the mid checkpoint by these two keys (present / absent)."""
    net = bench.build_model("ControlNetModel", published.CONTROLNET_MID, META, torch.float16)
    keys = set(net.state_dict())
    assert "down_blocks.1.attentions.0.norm.weight" in keys
    assert "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight" not in keys
    assert "down_blocks.2.attentions.0.transformer_blocks.0.attn1.to_k.weight" in keys
    assert net.dtype == torch.float16


def test_text_shapes_and_wiring_of_the_full_size_set(full_models):
    """SDXL's text shapes, TAESD-XL's latents and the ControlNet residuals fit the UNet config (on meta).

    The UNet expects one residual per down-block output: conv_in, then ``layers_per_block`` per block plus the
    downsampler of every block but the last. That list is worked out here from the UNet config alone and
    compared with what the mid ControlNet returns. (A meta forward of the whole UNet takes seconds; the tiny
    CPU run below exercises the real UNet + ControlNet path.)
    """
    width, pooled = published.text_shapes(published.SDXL_UNET)
    text = published.SDXL_TEXT
    assert (width, pooled) == (text["hidden_1"] + text["hidden_2"], text["pooled"]) == (2048, 1280)
    cfg = published.SDXL_UNET
    side = cfg["sample_size"]
    expected = [(cfg["block_out_channels"][0], side)]
    for i, channels in enumerate(cfg["block_out_channels"]):
        expected += [(channels, side)] * cfg["layers_per_block"]
        if i < len(cfg["block_out_channels"]) - 1:
            side //= 2
            expected.append((channels, side))
    taesd, net = full_models["taesd"], full_models["controlnet_canny"]
    with torch.device("meta"):
        latents = taesd.encode(torch.empty(1, 3, 1024, 1024)).latents
        assert tuple(latents.shape) == (1, cfg["in_channels"], cfg["sample_size"], cfg["sample_size"])
        added = {"text_embeds": torch.empty(2, pooled), "time_ids": torch.empty(2, 6)}
        down, mid = net(latents.repeat(2, 1, 1, 1), torch.tensor(500),
                        encoder_hidden_states=torch.empty(2, text["tokens"], width),
                        controlnet_cond=torch.empty(2, 3, 1024, 1024), added_cond_kwargs=added, return_dict=False)
    assert [(d.shape[1], d.shape[2]) for d in down] == expected
    assert all(d.shape[0] == 2 and d.shape[2] == d.shape[3] for d in down)
    assert tuple(mid.shape) == (2, cfg["block_out_channels"][-1], side, side)


def test_tiny_cpu_run_through_main(tmp_path):
    out = tmp_path / "figures.json"
    report = bench.main(["--tiny", "--device", "cpu", "--steps", "2", "--warmup", "1", "--pattern", "24x16",
                         "--json", str(out)])
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(report))
    results = {r["recipe"]: r for r in report["results"]}
    assert set(results) == {"paper", "fast"}
    for name, batch in (("paper", 3), ("fast", 2)):
        r = results[name]
        assert r["status"] == "ok", r
        assert r["unet_batch"] == batch and r["dtype"] == "float32"  # half precision is for GPUs only
        assert r["steps_timed"] == 2 and r["steps_done"] == 5  # the optimiser really stepped (1 + 2 + 2 pipelined)
        assert r["pipelined_ms"] > 0 and r["estimate_gib"] > 0
        assert 0 < r["min_ms"] <= r["median_ms"] <= r["max_ms"]
        assert r["loss_finite"]
        assert len(r["params"]["controlnets"]) == 2
    # PAPER squashes onto a square canvas, FAST keeps the pattern's 3:2 shape
    w, h = (int(v) for v in results["fast"]["canvas"].split("x"))
    assert results["paper"]["canvas"] == "128x128" and w > h
    # the report rounds the ratio to 2 decimals: within half a unit of the last one, whatever the machine's load
    assert report["speedup"] == pytest.approx(results["paper"]["median_ms"] / results["fast"]["median_ms"], abs=0.005)


def test_out_of_memory_is_reported_per_recipe_and_the_next_recipe_still_runs(monkeypatch):
    real_step = bench.SDPixlOptimizer.step

    def step(self):
        if self.recipe.name == "paper":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real_step(self)

    monkeypatch.setattr(bench.SDPixlOptimizer, "step", step)
    report = bench.main(["--tiny", "--device", "cpu", "--steps", "1", "--warmup", "0", "--pattern", "8"])
    paper, fast = report["results"]
    assert paper["status"] == "out of memory" and "20.00 GiB" in paper["error"]
    assert fast["status"] == "ok" and fast["steps_done"] == 2
    assert report["speedup"] is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--device", "cuda"])
    assert exc.value.code == 2
    assert "no CUDA GPU" in capsys.readouterr().err


def test_full_size_on_cpu_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--device", "cpu"])
    assert exc.value.code == 2
    assert "--tiny" in capsys.readouterr().err


def test_gpu_check_runs_its_parts_in_their_own_processes_and_sums_them_up(tmp_path):
    from benchmarks import gpu_check

    names = [p.name for p in gpu_check.parts(tiny=False)]
    assert names == ["step", "precision", "compile", "deterministic"]  # most important first
    assert gpu_check.DEFAULT_BUDGET_S <= 8 * 60 - 30  # the parts' own limits are cut to what is left of it
    summary = gpu_check.main(["--tiny", "--only", "step", "--out", str(tmp_path), "--budget", "300"])
    assert list(summary["parts"]) == ["step"] and summary["parts"]["step"]["status"] == "ok"
    results = summary["parts"]["step"]["figures"]["results"]
    assert [r["recipe"] for r in results] == ["paper", "fast"] and all(r["status"] == "ok" for r in results)
    assert json.loads((tmp_path / "gpu_check.json").read_text(encoding="utf-8"))["parts"]["step"]["status"] == "ok"
    assert (tmp_path / "step.log").is_file()
