"""Every size and path a user gives is bounded and checked before any work or allocation."""

from __future__ import annotations

import io
import shutil
import struct
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlnn.cli import main
from dlnn.clocks.course import MAX_DATA_BYTES, CourseDataError, load_course_data
from dlnn.clocks.photo import MAX_PHOTO_PIXELS, read_clock_photo
from dlnn.clocks.render import check_clock_budget, generate_clocks
from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore
from tests.fake_runs import write_run

pytestmark = pytest.mark.faults


def _fails(args: list[str]) -> str:
    """The one-line error `python -m dlnn ARGS` exits with."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    message = str(stop.value)
    assert message.startswith("dlnn: error: ") and "\n" not in message
    return message


# -- clocks generate -------------------------------------------------------------------------
GENERATE = [
    (["--n", "1000000000"], "--n: 1,000,000,000 clocks of 150x150 pixels need"),
    (["--n", "95000"], "at most 2 GiB of clocks at once"),
    (["--n", "2000000", "--size", "16"], "at most 1,677,721 clocks of this size"),
    (["--n", "0"], "--n: 0 is not allowed"),
    (["--size", "4"], "--size: ClockStyle.size must be in [16, 1024]"),
    (["--seed", "-1"], "--seed: -1 is not allowed"),
    (["--seed", str(2**70)], f"--seed: {2**70} is not allowed"),
]


@pytest.mark.parametrize(("extra", "message"), GENERATE, ids=[" ".join(e) for e, _ in GENERATE])
def test_generate_refuses_before_allocating(tmp_path: Path, extra: list[str], message: str
                                            ) -> None:
    out = tmp_path / "out"
    started = time.monotonic()
    assert message in _fails(["clocks", "generate", "--n", "5", "--out", str(out), *extra])
    assert time.monotonic() - started < 2 and not out.exists()


def test_generate_engine_checks_the_same_budget() -> None:
    most = MAX_DATA_BYTES // (150 * 150 + 1024)
    check_clock_budget(most, 150)
    with pytest.raises(ValueError, match=f"at most {most:,} clocks of this size"):
        check_clock_budget(most + 1, 150)
    with pytest.raises(ValueError, match="need 2,190.8 GiB"):
        generate_clocks(10**8, "easy")  # a training config that asks too much fails at once
    with pytest.raises(ValueError, match="seed must be >= 0"):
        generate_clocks(3, "easy", seed=-1)


@pytest.mark.parametrize("where", ["file", "under a file"])
def test_generate_out_must_be_a_writable_folder(tmp_path: Path, where: str) -> None:
    existing = tmp_path / "taken"
    existing.write_text("a file")
    out = existing if where == "file" else existing / "clocks"
    expected = (f"--out: {out} is a file; name a folder" if where == "file"
                else f"--out: cannot create {out} (Not a directory)")
    assert _fails(["clocks", "generate", "--n", "2", "--size", "16", "--out", str(out)]) == (
        f"dlnn: error: {expected}")
    assert existing.read_text() == "a file"


# -- course files (.npy) -------------------------------------------------------------------
def _npy_header(shape: tuple[int, ...], descr: str = "|u1") -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": descr, "fortran_order": False, "shape": shape})
    return header.getvalue()


def _course(folder: Path, images: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "images.npy").write_bytes(images)
    np.save(folder / "labels.npy", np.zeros((4, 2), dtype=np.int64))
    return folder


def _npy(array: np.ndarray) -> bytes:
    data = io.BytesIO()
    np.save(data, array)
    return data.getvalue()


NPY = [
    ("10^12 images claimed", _npy_header((10**12, 150, 150)),
     "declares a 1000000000000x150x150 uint8 array of 20,954,757.9 GiB; the lab loads at most "
     "2 GiB"),
    ("3 GiB claimed", _npy_header((3, 2**30)), "of 3.0 GiB; the lab loads at most 2 GiB"),
    ("cut short", _npy(np.zeros((4, 20, 20), np.uint8))[:400],
     "the file is cut short: its header declares 1,600 bytes of data, the file holds 272"),
    ("empty", b"", "not a plain .npy array"),
    ("garbage", bytes(range(256)), "not a plain .npy array"),
    ("float images", _npy(np.zeros((4, 20, 20), np.float32)), "expected dtype uint8"),
]


@pytest.mark.parametrize(("case", "content", "message"), NPY, ids=[c for c, *_ in NPY])
def test_npy_header_is_checked_before_loading(tmp_path: Path, case: str, content: bytes,
                                              message: str) -> None:
    folder = _course(tmp_path / "course", content)
    with pytest.raises(CourseDataError) as error:
        load_course_data(folder)
    assert message in str(error.value)
    upload = io.BytesIO(content)  # the dashboard's upload path reads the same way
    with pytest.raises(CourseDataError, match="images.npy"):
        load_course_data((upload, folder / "labels.npy"))


# -- photos ----------------------------------------------------------------------------------
def _encoded(image: Image.Image, kind: str = "PNG") -> bytes:
    data = io.BytesIO()
    image.save(data, kind)
    return data.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height 8-bit grey pixels (its data is one tiny row)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


SIXTEEN_BIT = np.full((64, 64), 257 * 200, dtype=np.uint16)  # grey 200 in 16 bits
PHOTOS = [
    ("1x1", _encoded(Image.new("L", (1, 1))), "a 1x1 picture is too small"),
    ("8x200", _encoded(Image.new("RGB", (8, 200))), "a 8x200 picture is too small"),
    ("float TIFF", _encoded(Image.new("F", (64, 64), 0.5), "TIFF"),
     "F pixels (32-bit float) have no fixed grey scale"),
    ("32-bit TIFF", _encoded(Image.new("I", (64, 64), 70000), "TIFF"),
     "I pixels (32-bit integer) have no fixed grey scale"),
    ("30000x30000 PNG", _png_header(30000, 30000), "decompression bomb"),
    ("8000x6000 PNG", _png_header(8000, 6000),
     "8000x6000 is 48 megapixels; the clock reader decodes at most 40 megapixels"),
    ("cut short", _encoded(Image.new("L", (64, 64), 9))[:60], "the image data is damaged"),
    ("not an image", b"hello, clock", "cannot be read as an image"),
]


@pytest.mark.parametrize(("case", "content", "message"), PHOTOS, ids=[c for c, *_ in PHOTOS])
def test_photos_are_checked_before_decoding(case: str, content: bytes, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ValueError) as error:
        read_clock_photo(content, 64)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert time.monotonic() - started < 0.5


def test_sixteen_bit_photos_are_scaled_not_clipped() -> None:
    clock = read_clock_photo(_encoded(Image.fromarray(SIXTEEN_BIT)), 32)
    assert clock.shape == (32, 32) and np.all(clock == 200)


def test_a_huge_jpeg_is_decoded_small_and_fast() -> None:
    photo = np.zeros((10000, 10000), dtype=np.uint8)
    photo[:, 5000:] = 255
    data = _encoded(Image.fromarray(photo), "JPEG")
    assert 10000 * 10000 > MAX_PHOTO_PIXELS
    started = time.monotonic()
    clock = read_clock_photo(io.BytesIO(data), 96)
    assert time.monotonic() - started < 1.0
    assert clock.shape == (96, 96) and clock[:, :40].max() < 30 and clock[:, 56:].min() > 225


# -- run ids are folders inside the store ------------------------------------------------------
@pytest.fixture
def run(dlnn_dirs: Path) -> Run:
    config = RunConfig(model="mlp-keras", epochs=2, subset=40, batch_size=16)
    return write_run(RunStore(), config, "finished")


def _outside_run(run: Run, tmp_path: Path) -> Path:
    """A copy of a real run folder outside the store."""
    outside = tmp_path / "elsewhere" / "copy"
    outside.parent.mkdir(exist_ok=True)
    shutil.copytree(run.path, outside)
    return outside


RUN_IDS = ["{outside}", "../elsewhere/copy", "..", ".", "", " ", ".standby", "a/b",
           "{run}/../{run}", "{run}\\x"]


@pytest.mark.parametrize("pattern", RUN_IDS)
def test_run_ids_are_refused_unless_a_folder_inside_the_store(
        run: Run, tmp_path: Path, pattern: str) -> None:
    outside = _outside_run(run, tmp_path)
    run_id = pattern.format(outside=outside, run=run.run_id)
    store = RunStore()
    with pytest.raises(KeyError, match="no run"):
        store.get(run_id)
    for command in (["runs", "show", run_id], ["runs", "delete", run_id],
                    ["runs", "repair", run_id],
                    ["clocks", "predict", "--run", run_id, "--image", "x.png"],
                    ["clocks", "evaluate", "--run", run_id, "--data", str(tmp_path)]):
        message = _fails(command)
        assert "no run" in message or (run_id == "" and "needs a RUN_ID" in message)
    assert outside.is_dir() and run.path.is_dir() and len(store.list()) == 1


def test_a_symlink_in_the_store_is_not_a_run(run: Run, tmp_path: Path) -> None:
    outside = _outside_run(run, tmp_path)
    (RunStore().root / "linked").symlink_to(outside)
    assert [r.run_id for r in RunStore().list()] == [run.run_id]
    assert "no run 'linked'" in _fails(["runs", "delete", "linked"])
    assert outside.is_dir()


def test_clock_commands_refuse_a_damaged_run(run: Run) -> None:
    run.model_path.write_bytes(b"not a zip")
    assert "is damaged: model.keras is not a Keras archive" in _fails(
        ["clocks", "predict", "--run", run.run_id, "--image", "x.png"])


def test_a_damaged_model_is_named_not_missing(run: Run) -> None:
    from dlnn.clocks.task import load_run_model

    run.model_path.write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="model.keras is damaged .not a Keras archive"):
        load_run_model(run)
    with zipfile.ZipFile(run.model_path, "w") as archive:
        archive.writestr("config.json", "{ not json")
    with pytest.raises(ValueError, match="model.keras cannot be loaded"):
        load_run_model(run)


@pytest.mark.parametrize("where", ["folder", "under a file"])
def test_predictions_must_name_a_writable_file(run: Run, tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    target = tmp_path if where == "folder" else blocker / "out.csv"
    expected = "is a folder; name a file" if where == "folder" else "cannot create"
    message = _fails(["clocks", "evaluate", "--run", run.run_id, "--data", str(tmp_path),
                      "--predictions", str(target)])
    assert message.startswith("dlnn: error: --predictions: ") and expected in message


def test_photo_errors_name_the_option(run: Run, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.png"
    tiny.write_bytes(_encoded(Image.new("L", (1, 1))))
    assert _fails(["clocks", "predict", "--run", run.run_id, "--image", str(tiny)]) == (
        f"dlnn: error: --image: {tiny}: a 1x1 picture is too small to show a clock; it needs "
        "at least 16x16 pixels")
