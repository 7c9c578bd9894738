import pytest

from benchmarks.errors import UserError
from submissions.registry import reference_configs, resolve_model
from submissions.schema import parse_config

DENSE = """
name: tiny
family: [dense]
backend: dense
weights: {path: /tmp/x}
"""


def test_reference_configs_are_valid_and_named_like_their_files():
    configs = reference_configs()
    assert {"bm25-flat", "bm25-multifield", "bm25s-flat", "all-MiniLM-L6-v2"} <= set(configs)
    for name, (_config, path) in configs.items():
        assert path.stem == name


def test_unknown_key_is_named():
    with pytest.raises(UserError, match=r"cfg\.yaml: invalid model config: poolling: unknown key"):
        parse_config(DENSE + "poolling: mean\n", "cfg.yaml")


def test_bad_value_says_what_is_allowed():
    with pytest.raises(UserError, match=r"pooling: Input should be 'mean', 'cls', 'last'"):
        parse_config(DENSE + "pooling: max\n", "cfg.yaml")


def test_dense_needs_weights_and_hf_needs_revision():
    with pytest.raises(UserError, match="backend dense needs a 'weights:' section"):
        parse_config("name: x\nfamily: [dense]\nbackend: dense\n", "c.yaml")
    with pytest.raises(UserError, match="hf needs a pinned revision"):
        parse_config("name: x\nfamily: [dense]\nbackend: dense\nweights: {hf: org/m}\n", "c.yaml")


def test_yaml_syntax_error_names_line():
    with pytest.raises(UserError, match=r"c\.yaml: not valid YAML: line \d+"):
        parse_config("name: [unclosed\n", "c.yaml")


def test_unknown_model_suggests_close_names():
    with pytest.raises(UserError, match="Did you mean bm25-flat"):
        resolve_model("bm25-flt")


def test_yaml_aliases_and_huge_documents_are_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    with pytest.raises(UserError, match="aliases"):
        parse_config(bomb, "bomb.yaml")
    with pytest.raises(UserError, match="at most 65,536"):
        parse_config("name: x\ndescription: " + "y" * 70_000 + "\n", "huge.yaml")


def test_problems_are_listed_per_field():
    from submissions.schema import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_config(DENSE + "batch_size: many\nsimilarity: l2\n", "c.yaml")
    fields = [field for field, _ in err.value.problems]
    assert sorted(fields) == ["batch_size", "similarity"]
