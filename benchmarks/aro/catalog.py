"""The four ARO tasks: where their files come from, where they go, what they hold.

ARO (Yuksekgonul et al., "When and why vision-language models behave like bags-of-words, and
what to do about it?", ICLR 2023) is released as code plus data in
github.com/mertyg/vision-language-models-are-bows.  Its ``dataset_zoo/aro_datasets.py`` defines
the four test sets, and we read the same files:

* **VG-Relation / VG-Attribution**: ``visual_genome_relation.json`` and
  ``visual_genome_attribution.json`` (Google Drive ids below, fetched by ARO with ``gdown``),
  and the image zip ``vgr_vga_images.zip`` (a 1 GB subset of GQA/Visual Genome that unpacks to
  ``images/``).  Each item has ``image_path``, ``bbox_x/bbox_y/bbox_w/bbox_h``,
  ``true_caption``, ``false_caption`` and ``relation_name`` (VG-R) or ``attributes`` (VG-A).
* **COCO-Order / Flickr30k-Order**: the Karpathy test split of COCO 2014
  (``coco_karpathy_test.json``) and of Flickr30k (``flickr30k_test.json``), as hosted by
  Salesforce for BLIP, with the images.  ARO builds five options per caption at load time: the
  caption, then four word-order perturbations drawn with a seeded RNG and spaCy POS tags.
  Because those depend on the RNG and the spaCy model, we freeze one realisation into an
  ``*_order_test.json`` file (ARO's own ``test_cases`` list, written by
  ``python -m benchmarks.aro.perturb``), so that every model is scored on the same captions.

Layout under ``LEADERBOARD_DATA_DIR`` (the two VG tasks share one image folder)::

    aro/vg-relation/visual_genome_relation.json
    aro/vg-attribution/visual_genome_attribution.json
    aro/vg/images/<image_path>                      (unzip vgr_vga_images.zip in aro/vg/)
    aro/coco-order/coco_karpathy_test.json           (input of the perturbation step)
    aro/coco-order/coco_order_test.json              (frozen test cases)
    aro/coco/val2014/COCO_val2014_*.jpg              (the Karpathy test images are in val2014)
    aro/flickr30k-order/flickr30k_test.json
    aro/flickr30k-order/flickr30k_order_test.json
    aro/flickr30k/flickr30k-images/*.jpg
"""

from __future__ import annotations

from dataclasses import dataclass

GDRIVE = "https://drive.google.com/uc?id="
VG_IMAGES_URL = GDRIVE + "1qaPlrwhGNMrR3a11iopZUT_GPP_LrgP9"  # vgr_vga_images.zip, unpacks to images/
BLIP_DATA = "https://storage.googleapis.com/sfr-vision-language-research/datasets/"


@dataclass(frozen=True)
class AroDataset:
    """One ARO test set: files, where they come from, and its published size."""

    name: str  # task suffix: aro/<name>
    kind: str  # "relation" | "attribution" | "order"
    cases_file: str  # the file the task reads, inside the task folder
    cases_url: str  # where it comes from ("" for order tasks: made by benchmarks.aro.perturb)
    image_root: str  # relative to the data dir; annotation image paths resolve under it
    images_url: str
    image_dir: str  # relative to the data dir: the folder that must exist (image_root or the first folder of the paths)
    images_how: str  # how to lay the images out, for messages
    num_items: int
    num_images: int | None  # published for the order tasks (Karpathy test images); None for VG
    license: str
    source_annotation: str = ""  # order tasks: the Karpathy split file the cases are made from
    source_annotation_url: str = ""


ARO_DATASETS: tuple[AroDataset, ...] = (
    AroDataset(
        name="vg-relation",
        kind="relation",
        cases_file="visual_genome_relation.json",
        cases_url=GDRIVE + "1kX2iCHEv0CADL8dSO1nMdW-V0NqIAiP3",
        image_root="aro/vg/images",  # ARO: os.path.join(root_dir, "images", image_path)
        images_url=VG_IMAGES_URL,
        image_dir="aro/vg/images",
        images_how="unzip vgr_vga_images.zip in aro/vg/",
        num_items=23937,
        num_images=None,
        license="MIT (ARO annotations); images: Visual Genome, CC BY 4.0",
    ),
    AroDataset(
        name="vg-attribution",
        kind="attribution",
        cases_file="visual_genome_attribution.json",
        cases_url=GDRIVE + "13tWvOrNOLHxl3Rm9cR3geAdHx2qR3-Tw",
        image_root="aro/vg/images",  # ARO: os.path.join(root_dir, "images", image_path)
        images_url=VG_IMAGES_URL,
        image_dir="aro/vg/images",
        images_how="unzip vgr_vga_images.zip in aro/vg/",
        num_items=28748,
        num_images=None,
        license="MIT (ARO annotations); images: Visual Genome, CC BY 4.0",
    ),
    AroDataset(
        name="coco-order",
        kind="order",
        cases_file="coco_order_test.json",
        cases_url="",  # made by: python -m benchmarks.aro.perturb aro/coco-order
        image_root="aro/coco",  # the Karpathy file's paths start with val2014/
        images_url="http://images.cocodataset.org/zips/val2014.zip",
        image_dir="aro/coco/val2014",
        images_how="unzip val2014.zip in aro/coco/",
        num_items=25010,
        num_images=5000,
        license="MIT (ARO code); captions and images: COCO, CC BY 4.0 / Flickr terms of use",
        source_annotation="coco_karpathy_test.json",
        source_annotation_url=BLIP_DATA + "coco_karpathy_test.json",
    ),
    AroDataset(
        name="flickr30k-order",
        kind="order",
        cases_file="flickr30k_order_test.json",
        cases_url="",  # made by: python -m benchmarks.aro.perturb aro/flickr30k-order
        image_root="aro/flickr30k",  # the Karpathy file's paths start with flickr30k-images/
        images_url="https://forms.illinois.edu/sec/229675 (sign-up required)",
        image_dir="aro/flickr30k/flickr30k-images",
        images_how="put the flickr30k-images/ folder in aro/flickr30k/",
        num_items=5000,
        num_images=1000,
        license="MIT (ARO code); Flickr30k: non-commercial research use (Flickr30k terms)",
        source_annotation="flickr30k_test.json",
        source_annotation_url=BLIP_DATA + "flickr30k_test.json",
    ),
)
