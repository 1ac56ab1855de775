"""A file that cannot be checked is never hidden: it is a record in every format, the summary
counts it, and the exit code is 2, with or without ``--exit-zero``."""

from __future__ import annotations

import json

import pytest

from conftest import ASCENDING_SCRIPT, ROOT

BP201 = ("a_net.py:8:5: BP201 `W += ...` moves `W` up the gradient: the step comes from the error "
         "`(pred - y)` (line 8), prediction - target, the gradient of the loss; use `-=` to descend "
         "(or flip the error)")
BROKEN = "broken.py: error: syntax error at line 2, column 7: invalid syntax"
SUMMARY = ("Found 1 problem in 1 file; 1 file could not be checked.\n"
           "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)\n")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "a_net.py").write_text(ASCENDING_SCRIPT, encoding="utf-8")
    (tmp_path / "broken.py").write_text("import numpy as np\ndef f(:\n    pass\n", encoding="utf-8")
    return tmp_path


def test_text_lists_and_counts_the_file(run_cli, project):
    assert run_cli("check", "--no-config", ".", cwd=project) == (
        2, f"{BP201}\n{BROKEN}\n{SUMMARY}", "")


def test_only_unchecked_files_is_not_all_checks_passed(run_cli, project):
    assert run_cli("check", "--no-config", "broken.py", cwd=project) == (
        2, f"{BROKEN}\nNo problems found; 1 file could not be checked.\n", "")


def test_two_unchecked_files_are_counted_once_each(run_cli, project):
    (project / "gone.py").unlink(missing_ok=True)
    code, out, _ = run_cli("check", "--no-config", "a_net.py", "broken.py", "gone.py", cwd=project)
    assert code == 2
    assert out.splitlines()[2:4] == ["gone.py: error: no such file or directory",
                                     "Found 1 problem in 1 file; 2 files could not be checked."]


def test_exit_zero_forgives_findings_not_unchecked_files(run_cli, project):
    assert run_cli("check", "--no-config", "--exit-zero", "a_net.py", cwd=project)[0] == 0
    assert run_cli("check", "--no-config", "--exit-zero", ".", cwd=project)[0] == 2


def test_json_has_a_record_without_a_code(run_cli, project):
    code, out, err = run_cli("check", "--no-config", "--format", "json", ".", cwd=project)
    assert (code, err) == (2, BROKEN + "\n")
    records = json.loads(out)
    assert [r["code"] for r in records] == ["BP201", None]
    assert records[1] == {
        "code": None, "name": "file-not-checked",
        "message": "syntax error at line 2, column 7: invalid syntax", "hint": None, "severity": "error",
        "filename": "broken.py", "cell": None, "location": {"row": 2, "column": 7},
        "end_location": {"row": 2, "column": 7}, "fix": None, "url": None}


def test_json_record_of_an_unreadable_file_has_no_location(run_cli, project):
    code, out, _ = run_cli("check", "--no-config", "--format", "json", "missing.py", cwd=project)
    assert code == 2
    assert json.loads(out) == [{
        "code": None, "name": "file-not-checked", "message": "no such file or directory",
        "hint": None, "severity": "error", "filename": "missing.py", "cell": None, "location": None,
        "end_location": None, "fix": None, "url": None}]


def test_sarif_has_a_tool_execution_notification(run_cli, project):
    import jsonschema

    code, out, _ = run_cli("check", "--no-config", "--format", "sarif", ".", cwd=project)
    assert code == 2
    log = json.loads(out)
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    run = log["runs"][0]
    assert [result["ruleId"] for result in run["results"]] == ["BP201"]
    assert run["invocations"] == [{
        "executionSuccessful": False,
        "toolExecutionNotifications": [{
            "descriptor": {"id": "file-not-checked"}, "level": "error",
            "message": {"text": BROKEN.replace(": error:", ":")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": "broken.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 2, "startColumn": 7}}}]}]}]


def test_sarif_of_a_clean_run_says_it_succeeded(run_cli, project):
    code, out, _ = run_cli("check", "--no-config", "--format", "sarif", "a_net.py", cwd=project)
    assert code == 1
    assert json.loads(out)["runs"][0]["invocations"] == [
        {"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_github_annotation(run_cli, project):
    code, out, _ = run_cli("check", "--no-config", "--format", "github", ".", cwd=project)
    assert code == 2
    assert out.splitlines()[1] == ("::error file=broken.py,line=2,col=7,title=file-not-checked::"
                                   "syntax error at line 2, column 7: invalid syntax")


def test_statistics_count_the_unchecked_files(run_cli, project):
    assert run_cli("check", "--no-config", "--statistics", ".", cwd=project) == (
        2, "   1  BP201  update-sign\n   1         file-not-checked\n" + SUMMARY, BROKEN + "\n")
    code, out, _ = run_cli("check", "--no-config", "--statistics", "--format", "json", ".",
                           cwd=project)
    assert json.loads(out) == [{"code": "BP201", "name": "update-sign", "count": 1},
                               {"code": None, "name": "file-not-checked", "count": 1}]


def test_output_file_holds_the_record(run_cli, project):
    report = project / "report.txt"
    assert run_cli("check", "--no-config", "-o", str(report), ".", cwd=project) == (
        2, "", BROKEN + "\n")
    assert report.read_text(encoding="utf-8") == f"{BP201}\n{BROKEN}\n{SUMMARY}"


def test_the_readme_sarif_workflow_uploads_after_exit_2():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    workflow = readme.split("# .github/workflows/bplint-sarif.yml\n", 1)[1].split("```", 1)[0]
    upload = workflow.split("- if: success() || failure()\n", 1)
    assert len(upload) == 2 and upload[1].lstrip().startswith("uses: github/codeql-action/upload-sarif")
