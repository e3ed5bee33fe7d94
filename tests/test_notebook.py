"""The exploration notebook runs top to bottom on a real run's tables."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from pipeline import config


def test_explore_notebook_executes(tmp_path, monkeypatch) -> None:
    from pipeline.process import run

    run(config.DATA_RAW, tmp_path / "processed", progress=False)
    monkeypatch.setenv("VI_NER_OUTPUT", str(tmp_path / "processed"))
    notebook = nbformat.read(config.PROJECT_ROOT / "notebooks" / "explore.ipynb", as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(config.PROJECT_ROOT)}},
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "Kim Jong Un" in html and "PER" in html
