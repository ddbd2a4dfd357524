"""The model directory train.py writes is served by its own code/ folder, and URL fetching
works against a real HTTP server with the documented limits."""
from __future__ import annotations

import http.server
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from workflow.synthetic import generate_dataset

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training_src"))

import inference  # noqa: E402
import url_fetch  # noqa: E402
from serving_errors import InferenceError  # noqa: E402

# Runs in a fresh interpreter with only the model's code/ folder importable, as the
# SageMaker PyTorch inference container does.
SERVE_SCRIPT = """
import json, sys
from pathlib import Path
model_dir = Path(sys.argv[1])
sys.path.insert(0, str(model_dir / "code"))
import inference
model = inference.model_fn(str(model_dir))
results = []
for path in sys.argv[2:]:
    data = inference.input_fn(Path(path).read_bytes(), "image/jpeg")
    results.append(json.loads(inference.output_fn(inference.predict_fn(data, model),
                                                  "application/json")))
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("serve")
    generate_dataset(root / "data", num_classes=5, train_per_class=30, valid_per_class=6,
                     test_per_class=8, image_size=48, seed=11)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SMDEBUG"))}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "training_src" / "train.py"), "--data-dir",
         str(root / "data"), "--model-dir", str(root / "model"), "--output-data-dir",
         str(root / "out"), "--epochs", "3", "--image-size", "32", "--batch-size", "16",
         "--lr", "0.001", "--num-workers", "0", "--top-k", "3", "--model-version", "v7"],
        env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return root / "data", root / "model"


def test_saved_model_directory_serves_itself(trained, tmp_path):
    data, model = trained
    images = sorted((data / "test").glob("*/*.jpg"))
    proc = subprocess.run([sys.executable, "-I", "-c", SERVE_SCRIPT, str(model),
                           *map(str, images)], capture_output=True, text=True, timeout=180,
                          cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    classes = sorted(p.name for p in (data / "test").iterdir())
    right = 0
    for path, body in zip(images, results, strict=True):
        assert body["model_version"] == "v7" and body["top_k"] == 3
        assert len(body["predictions"]) == 3
        assert {p["label"] for p in body["predictions"]} <= set(classes)
        right += body["predictions"][0]["label"] == path.parent.name
    assert right / len(images) >= 3 / len(classes)


class _Handler(http.server.BaseHTTPRequestHandler):
    image = b""

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/dog.png")
            self.end_headers()
            return
        if self.path == "/missing":
            self.send_error(404)
            return
        body = self.image * (50 if self.path == "/big" else 1)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if self.path != "/big-unsized":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if self.path != "/big-unsized" else self.image * 50)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 160, 40)).save(out, format="PNG")
    _Handler.image = out.getvalue()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _request(url: str):
    return inference.input_fn(json.dumps({"url": url}), "application/json")


def _status(url: str) -> int:
    with pytest.raises(InferenceError) as err:
        _request(url)
    return err.value.status_code


def test_loopback_url_is_refused_by_default(server, monkeypatch):
    monkeypatch.delenv(url_fetch.ALLOW_PRIVATE_ENV, raising=False)
    assert _status(f"{server}/dog.png") == 400


def test_loopback_url_is_fetched_when_opted_in(server, monkeypatch, trained):
    monkeypatch.setenv(url_fetch.ALLOW_PRIVATE_ENV, "true")
    request = _request(f"{server}/dog.png")
    assert request.image.size == (64, 48)
    model = inference.model_fn(str(trained[1]))
    body = json.loads(inference.output_fn(inference.predict_fn(request, model), None))
    assert len(body["predictions"]) == 3
    assert _request(f"{server}/redirect").image.size == (64, 48)


@pytest.mark.parametrize("path, status", [("/big", 413), ("/big-unsized", 413),
                                          ("/missing", 400), ("/slow", 400)])
def test_download_limits(server, monkeypatch, path, status):
    monkeypatch.setenv(url_fetch.ALLOW_PRIVATE_ENV, "true")
    monkeypatch.setenv(url_fetch.MAX_BYTES_ENV, str(len(_Handler.image) * 10))
    monkeypatch.setenv(url_fetch.TIMEOUT_ENV, "0.5")
    started = time.monotonic()
    assert _status(f"{server}{path}") == status
    assert time.monotonic() - started < 10  # the time limit stops a slow server early
