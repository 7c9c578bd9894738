"""Read the ARO test sets from their official files (see :mod:`benchmarks.aro.catalog`).

Every test case becomes an :class:`AroCase`: one image (with the box ARO crops to, for the VG
sets), its caption options *in ARO's order*, the index of the right one, and the group the
paper macro-averages over.  ARO's order matters because ARO breaks score ties with
``np.argmax`` over that order: VG items are ``[false_caption, true_caption]`` (a tie counts
as wrong), order items are ``[caption, 4 perturbations]`` (a tie counts as right).

Bad input is a one-line :class:`~common.errors.UserError` naming the file, the item and
the field.  Missing images are counted and the first few named.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.aro.catalog import AroDataset
from common.errors import UserError
from common.paths import relative_to
from common.settings import data_dir

BBOX_FIELDS = ("bbox_x", "bbox_y", "bbox_w", "bbox_h")


@dataclass(frozen=True)
class AroCase:
    id: str  # position in the annotation file, as a string
    image: str  # path relative to the image root
    bbox: tuple[float, float, float, float] | None  # (x, y, w, h) to crop to; None: whole image
    captions: tuple[str, ...]  # ARO's order
    correct: int  # index of the right caption in ``captions``
    group: str | None = None  # relation name (VG-R) or "attr1_attr2" (VG-A); None for order tasks


@dataclass
class AroData:
    cases: list[AroCase]
    image_root: Path
    sha256: str  # annotation bytes + (path, size) of every referenced image
    files: dict[str, str] = field(default_factory=dict)
    # order tasks: how the frozen options were made (benchmarks.aro.perturb's record), for the run manifest
    provenance: dict | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {"items": len(self.cases), "images": len({case.image for case in self.cases})}


def cases_path(entry: AroDataset, folder: Path) -> Path:
    return folder / entry.cases_file


def provenance_path(cases_file: Path) -> Path:
    """``coco_order_test.json`` -> ``coco_order_test.provenance.json``: how the frozen options were made."""
    return cases_file.with_name(cases_file.stem + ".provenance.json")


def order_provenance(cases_file: Path, raw: bytes, task_id: str) -> dict:
    """The record written beside a frozen order file, checked to describe these bytes.

    A file without one (dumped from ARO's own ``COCO_Order(...).test_cases``, say) is accepted,
    and the manifest says the versions that made it are unknown.
    """
    beside = provenance_path(cases_file)
    if not beside.is_file():
        return {
            "record": None,
            "note": (
                f"no {beside.name} beside {cases_file.name}: the spaCy, en_core_web_sm and NLTK versions that made "
                "these options are unknown"
            ),
        }
    try:
        record = json.loads(beside.read_bytes())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(
            f"{task_id}: {beside} is not valid JSON ({err}); delete it or rerun python -m benchmarks.aro.perturb {task_id}"
        ) from err
    if not isinstance(record, dict):
        raise UserError(f"{task_id}: {beside} must hold a JSON object; delete it or rerun python -m benchmarks.aro.perturb {task_id}")
    actual = hashlib.sha256(raw).hexdigest()
    if record.get("cases_sha256") != actual:
        raise UserError(
            f"{task_id}: {beside.name} describes another {cases_file.name} (cases_sha256 {str(record.get('cases_sha256'))[:12]}…, "
            f"the file has {actual[:12]}…); rerun python -m benchmarks.aro.perturb {task_id}, or delete {beside.name} if the file "
            "came from elsewhere"
        )
    # relative to the data dir: this lands in the public run manifest (no server path, issue 12 item 3)
    return {"record": record, "file": relative_to(beside, data_dir())}


def image_root(entry: AroDataset) -> Path:
    return data_dir() / entry.image_root


def missing(entry: AroDataset, folder: Path) -> list[str]:
    """What is missing, each with where to get it (for ``data list`` and error messages)."""
    gaps = []
    if not cases_path(entry, folder).is_file():
        if entry.kind == "order":
            source = folder / entry.source_annotation
            step = f"run 'python -m benchmarks.aro.perturb aro/{entry.name}' on {entry.source_annotation}"
            if not source.is_file():
                step += f" (download it from {entry.source_annotation_url} into {folder})"
            gaps.append(f"{entry.cases_file}: {step}")
        else:
            gaps.append(f"{entry.cases_file} from {entry.cases_url} into {folder}")
    images = data_dir() / entry.image_dir
    if not images.is_dir():
        gaps.append(f"images {images}/ from {entry.images_url} ({entry.images_how})")
    return gaps


def _read_json(path: Path, task_id: str) -> tuple[list, bytes]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UserError(f"{task_id}: cannot read {path} ({err.strerror})") from err
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{task_id}: {path} is not valid JSON ({err}); download it again") from err
    if not isinstance(data, list):
        raise UserError(f"{task_id}: {path} must hold a JSON list of test cases, as the ARO release does")
    return data, raw


def _field(item: object, name: str, path: Path, index: int, kind: type | tuple[type, ...]):
    if not isinstance(item, dict) or name not in item:
        raise UserError(f"{path} item {index}: field '{name}' is missing; this is not the ARO release format")
    value = item[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UserError(f"{path} item {index}: field '{name}' has {type(value).__name__} {value!r}, expected {kind}")
    return value


def _vg_case(item: object, path: Path, index: int, kind: str) -> AroCase:
    number = (int, float)
    bbox = tuple(float(_field(item, name, path, index, number)) for name in BBOX_FIELDS)
    if bbox[2] <= 0 or bbox[3] <= 0:
        raise UserError(f"{path} item {index}: bbox_w and bbox_h must be positive, found {bbox[2]} x {bbox[3]}")
    if kind == "relation":
        group = _field(item, "relation_name", path, index, str)
    else:
        attributes = _field(item, "attributes", path, index, list)
        if len(attributes) < 2 or not all(isinstance(a, str) for a in attributes[:2]):
            raise UserError(f"{path} item {index}: 'attributes' must list two attribute names, found {attributes!r}")
        group = f"{attributes[0]}_{attributes[1]}"  # ARO's grouping key for VG-Attribution
    return AroCase(
        id=str(index),
        image=_field(item, "image_path", path, index, str),
        bbox=bbox,  # type: ignore[arg-type]
        captions=(_field(item, "false_caption", path, index, str), _field(item, "true_caption", path, index, str)),
        correct=1,
        group=group,
    )


def _order_case(item: object, path: Path, index: int) -> AroCase:
    options = _field(item, "caption_options", path, index, list)
    if len(options) < 2 or not all(isinstance(o, str) for o in options):
        raise UserError(f"{path} item {index}: 'caption_options' must be a list of at least two captions, the right one first")
    return AroCase(id=str(index), image=_field(item, "image", path, index, str), bbox=None, captions=tuple(options), correct=0)


def load_aro(entry: AroDataset, folder: Path, task_id: str, *, check_images: bool = True) -> AroData:
    """Parse the task's cases file and check that every image it names is there."""
    gaps = missing(entry, folder)
    if gaps:
        raise UserError(f"{task_id}: data missing: " + "; ".join(gaps))
    path = cases_path(entry, folder)
    items, raw = _read_json(path, task_id)
    if entry.kind == "order":
        cases = [_order_case(item, path, index) for index, item in enumerate(items)]
    else:
        cases = [_vg_case(item, path, index, entry.kind) for index, item in enumerate(items)]
    root = image_root(entry)
    digest = hashlib.sha256(raw)
    unique = sorted({case.image for case in cases})
    absent = []
    for name in unique:
        image = root / name
        try:
            size = image.stat().st_size if check_images else 0
        except OSError:
            absent.append(name)
            continue
        digest.update(f"\n{name}\t{size}".encode())
    if absent:
        raise UserError(
            f"{task_id}: {len(absent):,} of {len(unique):,} images named in {path.name} are missing under {root} "
            f"(first: {', '.join(absent[:3])}); get them from {entry.images_url} ({entry.images_how})"
        )
    provenance = order_provenance(path, raw, task_id) if entry.kind == "order" else None
    files = {"cases": str(path), "images": str(root)}
    return AroData(cases=cases, image_root=root, sha256=digest.hexdigest(), files=files, provenance=provenance)
