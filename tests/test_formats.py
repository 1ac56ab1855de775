"""``--format sarif`` (SARIF 2.1.0, checked against the OASIS schema) and ``--format github``
(GitHub Actions workflow commands, byte-exact)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bplint import __version__
from bplint.catalogue import catalogue
from bplint.diagnostics import Edit, Finding, Fix, Span
from bplint.report import FORMATS
from bplint.report.github import render_github
from bplint.report.sarif import render_sarif
from conftest import FIXTURES, ROOT, expected_findings, fixture_files

jsonschema = pytest.importorskip("jsonschema")

SEEDS = FIXTURES / "seeds"
SCHEMA_NAME = "sarif-schema-2.1.0.json"


def _schema_path() -> Path:
    """The vendored copy (a clean clone has it), else the shared one next to the repository."""
    for folder in (ROOT / "tests" / "data", ROOT.parent / "shared" / "schemas"):
        if (folder / SCHEMA_NAME).is_file():
            return folder / SCHEMA_NAME
    pytest.fail(f"{SCHEMA_NAME} not found in tests/data/ nor ../shared/schemas/")


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(_schema_path().read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # Draft 4, as the schema declares
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def _validate(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def _finding(**changes) -> Finding:
    fields = dict(path="net.py", span=Span(3, 5, 3, 17), code="BP301", name="dropout-mask-added",
                  severity="error", message="a mask must multiply")
    fields.update(changes)
    return Finding(**fields)


# --- SARIF ----------------------------------------------------------------------------------


def test_formats_are_registered():
    assert FORMATS["sarif"] is render_sarif and FORMATS["github"] is render_github


def test_sarif_of_every_fixture_validates(run_cli, validator):
    code, out, err = run_cli("check", "--no-config", "--format", "sarif", "fixtures")
    # Exit codes as for text: 1 for findings, 2 when a file (an invalid notebook) is not analysed.
    assert code == (2 if err else 1)
    assert all(": error: " in line for line in err.splitlines())
    log = json.loads(out)
    _validate(validator, log)
    assert out.endswith("}\n")
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": ROOT.as_uri() + "/"}}
    rules = run["tool"]["driver"]["rules"]
    reported = set()
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == rules[result["ruleIndex"]]["defaultConfiguration"]["level"]
        location = result["locations"][0]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%" and artifact["uri"].startswith("fixtures/")
        assert (ROOT / artifact["uri"]).is_file()
        if artifact["uri"].endswith(".ipynb"):
            assert isinstance(location["properties"]["cell"], int)
        else:
            assert "properties" not in location
        reported.add(artifact["uri"])
    with_markers = {p.relative_to(ROOT).as_posix() for p in fixture_files() if expected_findings(p)}
    assert with_markers and with_markers <= reported
    assert {r["level"] for r in run["results"]} == {"error", "warning"}


def test_sarif_rules_cover_the_catalogue(run_cli, validator):
    code, out, _ = run_cli("check", "--format", "sarif", "seed2_bp_xor_rows.py", cwd=SEEDS)
    assert code == 0
    log = json.loads(out)
    _validate(validator, log)
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("bplint", __version__)
    assert driver["informationUri"] == "https://github.com/bplint/bplint"
    assert [rule["id"] for rule in driver["rules"]] == list(catalogue())
    for rule, doc in zip(driver["rules"], catalogue().values()):
        assert rule["name"] == doc.name
        assert rule["shortDescription"]["text"] == doc.summary
        assert rule["fullDescription"]["text"] == doc.section("What it catches")
        assert doc.section("Fix") in rule["help"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] == doc.severity
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert levels["BP301"] == "error" and levels["BP501"] == levels["BP504"] == "warning"
    assert log["runs"][0]["results"] == []


def test_sarif_result_on_seed3_is_exact(run_cli, validator):
    code, out, err = run_cli("check", "--format", "sarif", "seed3_mnist_dropout.py", cwd=SEEDS)
    assert (code, err) == (1, "")
    log = json.loads(out)
    _validate(validator, log)
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": SEEDS.as_uri() + "/"}}
    artifact = {"uri": "seed3_mnist_dropout.py", "uriBaseId": "%SRCROOT%"}
    assert run["results"] == [{
        "ruleId": "BP301",
        "ruleIndex": list(catalogue()).index("BP301"),
        "level": "error",
        "message": {"text": "dropout mask `dropout_mask` is added to `layer_1_delta`; a mask must "
                            "multiply: use `layer_1_delta *= dropout_mask`"},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": 42, "startColumn": 9, "endLine": 42, "endColumn": 38},
        }}],
        "fixes": [{
            "description": {"text": "Multiply by the dropout mask"},
            "artifactChanges": [{"artifactLocation": artifact, "replacements": [{
                "deletedRegion": {"startLine": 42, "startColumn": 23, "endLine": 42, "endColumn": 25},
                "insertedContent": {"text": "*="},
            }]}],
            "properties": {"applicability": "safe"},
        }],
    }]


def test_sarif_warning_level(run_cli, validator):
    path = "fixtures/catalogue/bad_BP501_script_softmax_no_shift.py"
    code, out, _ = run_cli("check", "--no-config", "--format", "sarif", path)
    assert code == 1
    log = json.loads(out)
    _validate(validator, log)
    results = log["runs"][0]["results"]
    assert results and {(r["ruleId"], r["level"]) for r in results} == {("BP501", "warning")}


def test_sarif_fix(validator, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    fix = Fix("safe", "multiply by the mask", (Edit(Span(3, 19, 3, 20), "*"),
                                               Edit(Span(5, 1, 5, 1), "# checked\n")))
    out = render_sarif([_finding(fix=fix)])
    log = json.loads(out)
    _validate(validator, log)
    result = log["runs"][0]["results"][0]
    assert result["fixes"] == [{
        "description": {"text": "multiply by the mask"},
        "artifactChanges": [{
            "artifactLocation": {"uri": "net.py", "uriBaseId": "%SRCROOT%"},
            "replacements": [
                {"deletedRegion": {"startLine": 3, "startColumn": 19, "endLine": 3, "endColumn": 20},
                 "insertedContent": {"text": "*"}},
                {"deletedRegion": {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 1},
                 "insertedContent": {"text": "# checked\n"}},
            ],
        }],
        "properties": {"applicability": "safe"},
    }]
    assert "fixes" not in json.loads(render_sarif([_finding()]))["runs"][0]["results"][0]


def test_sarif_notebook_cell_and_uris(validator, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    outside = tmp_path.parent / "elsewhere" / "x.py"
    findings = [
        _finding(path="notes/My Net #1.ipynb", cell=4, span=Span(2, 9, 2, 38)),
        _finding(path=str(tmp_path / "sub" / "a:b.py")),
        _finding(path=str(outside)),
        _finding(path="./sub/../über.py"),
    ]
    log = json.loads(render_sarif(findings))
    _validate(validator, log)
    locations = [r["locations"][0] for r in log["runs"][0]["results"]]
    assert locations[0] == {
        "physicalLocation": {
            "artifactLocation": {"uri": "notes/My%20Net%20%231.ipynb", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 2, "startColumn": 9, "endLine": 2, "endColumn": 38},
        },
        "properties": {"cell": 4},
    }
    uris = [loc["physicalLocation"]["artifactLocation"] for loc in locations[1:]]
    assert uris == [{"uri": "sub/a%3Ab.py", "uriBaseId": "%SRCROOT%"},
                    {"uri": outside.as_uri()},
                    {"uri": "%C3%BCber.py", "uriBaseId": "%SRCROOT%"}]
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"


def test_sarif_is_deterministic(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    findings = [_finding(), _finding(code="BP501", name="exp-overflow", severity="warning")]
    first = render_sarif(findings)
    assert first == render_sarif(findings) == render_sarif(findings, quiet=True)
    assert first.endswith("\n") and not first.endswith("\n\n")


# --- GitHub annotations ---------------------------------------------------------------------

SEED1_GITHUB = (
    "::error file=seed1_bp_column_vectors.py,line=31,col=55,endLine=31,endColumn=61,"
    "title=BP101 forward-local-in-backward::name `hidden` is a local variable of `forward` "
    "(line 20) and is undefined in `backward`; store it as `self.hidden` in `forward` and read "
    "`self.hidden` here\n"
    "::error file=seed1_bp_column_vectors.py,line=33,col=49,endLine=33,endColumn=55,"
    "title=BP101 forward-local-in-backward::name `hidden` is a local variable of `forward` "
    "(line 20) and is undefined in `backward`; store it as `self.hidden` in `forward` and read "
    "`self.hidden` here\n"
)
SEED3_GITHUB = (
    "::error file=seed3_mnist_dropout.py,line=42,col=9,endLine=42,endColumn=38,"
    "title=BP301 dropout-mask-added::dropout mask `dropout_mask` is added to `layer_1_delta`; "
    "a mask must multiply: use `layer_1_delta *= dropout_mask`\n"
)


@pytest.mark.parametrize("seed, expected", [("seed1_bp_column_vectors.py", SEED1_GITHUB),
                                            ("seed3_mnist_dropout.py", SEED3_GITHUB)])
def test_github_seeds_are_byte_exact(run_cli, seed, expected):
    assert run_cli("check", "--format", "github", seed, cwd=SEEDS) == (1, expected, "")
    assert run_cli("check", "--format", "github", "--quiet", seed, cwd=SEEDS) == (1, expected, "")


def test_github_no_findings_prints_nothing(run_cli):
    assert run_cli("check", "--format", "github", "seed2_bp_xor_rows.py", cwd=SEEDS) == (0, "", "")


def test_github_warnings(run_cli):
    path = "fixtures/catalogue/bad_BP501_script_softmax_no_shift.py"
    code, out, _ = run_cli("check", "--no-config", "--format", "github", path)
    assert code == 1 and out
    for line in out.splitlines():
        assert line.startswith(f"::warning file={path},line=")
        assert ",title=BP501 exp-overflow::" in line
        assert "::warning:" not in line.split("::", 2)[2][:9]  # no text-format "warning:" label


def test_github_escaping():
    finding = _finding(path="odd,dir/a:b%c.py", message="100% of units\r\nare kept: a, b")
    assert render_github([finding]) == (
        "::error file=odd%2Cdir/a%3Ab%25c.py,line=3,col=5,endLine=3,endColumn=17,"
        "title=BP301 dropout-mask-added::100%25 of units%0D%0Aare kept: a, b\n")


def test_github_notebook_cell_in_title():
    finding = _finding(path="nb.ipynb", cell=4, span=Span(2, 9, 2, 38),
                       code="BP504", name="log-of-zero", severity="warning", message="clip it")
    assert render_github([finding]) == (
        "::warning file=nb.ipynb,line=2,col=9,endLine=2,endColumn=38,"
        "title=BP504 log-of-zero (cell 4)::clip it\n")


# --- exit codes and errors, as for text -----------------------------------------------------


@pytest.mark.parametrize("fmt", ["sarif", "github"])
def test_exit_codes(run_cli, fmt):
    seed3 = "seed3_mnist_dropout.py"
    assert run_cli("check", "--format", fmt, seed3, cwd=SEEDS)[0] == 1
    assert run_cli("check", "--format", fmt, "--exit-zero", seed3, cwd=SEEDS)[0] == 0
    assert run_cli("check", "--format", fmt, "seed2_bp_xor_rows.py", cwd=SEEDS)[0] == 0
    code, out, err = run_cli("check", "--format", fmt, "missing.py", seed3, cwd=SEEDS)
    assert code == 2 and err.startswith("missing.py: error:")
    assert "seed3_mnist_dropout.py" in out  # the other files are still reported
    if fmt == "sarif":
        json.loads(out)


def test_unknown_format_lists_the_new_ones(run_cli):
    code, _, err = run_cli("check", "--format", "xml", cwd=SEEDS)
    assert code == 2 and "sarif" in err and "github" in err
