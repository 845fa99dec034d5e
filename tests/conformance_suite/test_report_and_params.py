"""The conformance suite's own pieces: the report and the corpus parameter files."""

import json

import pytest

from conformance import corpus
from conformance.report import Report, Skip

KNOWN_KEYS = {"parameters", "update", "outputs", "prerequisites", "signals", "no_update_because",
              "update_keeps", "update_replaces", "retained"}


def test_report_counts_every_outcome_and_renders_markdown_safely():
    report = Report()
    report.run("a", "ok", lambda: "x|y")
    report.run("a", "boom", lambda: (_ for _ in ()).throw(AssertionError("bad")))

    def skipped():
        raise Skip("unsupported: [AWS::SQS::Queue]")

    report.run("b", "validate", skipped)
    assert report.counts() == (1, 1, 1)
    assert report.render().splitlines()[-1] == "1 passed, 1 failed, 1 skipped"
    markdown = report.render_markdown()
    assert "| a | ok | pass | " in markdown and "x\\|y" in markdown
    assert "| b | validate | skip | 0.00 | unsupported: [AWS::SQS::Queue] |" in markdown


@pytest.mark.parametrize("path", sorted(corpus.PARAMS_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_each_parameter_file_names_a_corpus_template_and_only_known_keys(path):
    spec = json.loads(path.read_text())
    assert set(spec) <= KNOWN_KEYS, set(spec) - KNOWN_KEYS
    stems = {p.stem for p in corpus.templates()}
    if stems:  # the corpus lives beside the checkout; without it there is nothing to match
        assert path.stem in stems
    for signal in spec.get("signals", []):
        assert signal["via"] in ("curl", "signal-resource")
