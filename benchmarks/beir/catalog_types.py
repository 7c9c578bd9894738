"""The shape of one entry in the BEIR dataset catalogue.

Kept apart from ``catalog.py`` (which is pure data) so that loaders, fetchers and the
task registry can import the type without importing the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BeirDataset:
    """One public BEIR dataset (or one CQADupStack forum) as BEIR publishes it.

    ``name`` is the task suffix: the task id is ``beir/<name>``.  For the CQADupStack forums the
    name is ``cqadupstack-<forum>`` and ``subdir`` is ``cqadupstack/<forum>`` inside the one zip.
    Counts are those of the evaluated split (``test_split``) as listed in the BEIR paper/README.
    """

    name: str
    zip_name: str  # file name of the official zip, e.g. "scifact.zip"
    url: str  # official download URL of that zip
    md5: str  # md5 of the zip as BEIR publishes it (beir README / datasets table)
    license: str
    splits: tuple[str, ...]  # qrels files shipped, e.g. ("train", "dev", "test")
    test_split: str  # the split BEIR evaluates ("test", or "dev" for MS MARCO)
    num_docs: int
    num_queries: int  # queries in the evaluated split
    domain: str = ""
    subdir: str = ""  # path inside the unpacked zip when not the zip's own folder
    public: bool = True  # False for the 4 BEIR sets that need a licence (not in our 18)
    remove_identical_ids: bool = True  # drop hits whose doc id equals the query id (2CR --remove-query)
    notes: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)  # other ids for the dataset (``get_beir_dataset``)
    mteb_name: str = ""  # MTEB's task name ("FiQA2018"); "" for a private extra dataset
    group: str = ""  # aggregation group: "cqadupstack" for the 12 forums
