"""The command line as people expect it: ``--version``, defaults and choices in every ``--help``, and one
clear line (exit status 2, no traceback, nothing started) for every bad value."""

from __future__ import annotations

import re

import pytest

from torchtrade.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["emulator", "serve", "--port", "99999"],
            "argument --port: 99999 is out of range: a TCP port must be 1-65535",
        ),
        (["emulator", "serve", "--port", "0"], "a TCP port must be 1-65535"),
        (["emulator", "serve", "--port", "http"], "argument --port: 'http' is not a whole number"),
        (["emulator", "serve", "--speed", "fast"], "argument --speed: 'fast' is not a number"),
        (["emulator", "serve", "--speed", "-1"], "speed -1 must be a finite number > 0"),
        (["emulator", "serve", "--history", "-5"], "--history must be >= 0"),
        (["emulator", "serve", "--weight-limit", "0"], "--weight-limit must be >= 1"),
        (["emulator", "serve", "--clock", "sundial"], "argument --clock: invalid choice: 'sundial'"),
        (["emulator", "serve", "--log-level", "loud"], "argument --log-level: invalid choice: 'loud'"),
        (["emulator", "serve", "--venue", "kraken"], "unknown venue 'kraken'; the emulator speaks: bitget"),
        (["emulator", "serve", "--nonsense"], "unrecognized arguments: --nonsense"),
        (["emulator"], "the following arguments are required"),
        (["demo", "--steps", "0"], "argument --steps: 0 is out of range: --steps must be >= 1"),
        (["demo", "--steps", "many"], "argument --steps: 'many' is not a whole number"),
        (["demo", "--out", "/proc/torchtrade-demo"], "--out /proc/torchtrade-demo: cannot write there"),
        (["report"], "the following arguments are required: FILE"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_a_bad_value_is_one_line_and_exit_2(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("torchtrade: error:")
    assert message in err
    assert "\n" not in err
    assert "Traceback" not in err
    assert captured.out == ""  # nothing started


def test_demo_out_under_a_file_is_refused_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["demo", "--out", str(blocker / "sub"), "--steps", "1"]) == 2
    captured = capsys.readouterr()
    assert re.fullmatch(
        rf"torchtrade: error: --out {re.escape(str(blocker))}/sub: cannot write there \(.+\)\n", captured.err
    )
    assert captured.out == ""


def test_version(capsys):
    assert main(["--version"]) == 0
    assert re.fullmatch(r"torchtrade \S+\n", capsys.readouterr().out)


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        ([], ["{emulator,demo,report,flatten}", "--version"]),
        (
            ["emulator", "serve"],
            [
                "{bitget,binance,alpaca}",
                "(default: bitget)",
                "{realtime,manual}",
                "(default: realtime)",
                "(default: 8765)",
                "(default: 127.0.0.1)",
                "(default: 500)",
                "(default: 1.0)",
                "{debug,info,warning,error}",
                "(default: warning)",
                "examples",
                "torchtrade emulator serve --venue binance",
            ],
        ),
        (["emulator", "tour"], ["torchtrade emulator tour"]),
        (
            ["demo"],
            ["(default: 400)", "(default: torchtrade-demo)", "examples", "demo --no-train --steps 120"],
        ),
        (["report"], ["FILE", "(default: FILE's folder)", "torchtrade report torchtrade-demo/run.sqlite"]),
        (
            ["flatten"],
            [
                "{bitget,binance,alpaca}",
                "--symbol",
                "--base-url",
                "--production",
                "examples",
                "Exit status 0",
            ],
        ),
    ],
)
def test_every_help_shows_its_choices_defaults_and_examples(capsys, argv, shown):
    assert main([*argv, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for item in shown:
        assert " ".join(item.split()) in text, item
