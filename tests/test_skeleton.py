"""Tests of gast_pyg.skeleton: bundled layouts vs. the reference, graphs, YAML validation."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from conftest import SHARED
from torch_geometric.data import Batch

from gast_pyg.skeleton import Skeleton, SkeletonError

ADJACENCY = SHARED / "fixtures" / "gastnet_reference" / "adjacency.json"

REFERENCE_SKELETONS = {"humaneva": "15", "h36m_sh": "16", "h36m": "17", "h36m_toes": "19"}

H36M_JOINTS = [
    "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "spine", "thorax", "neck", "head", "left_shoulder", "left_elbow", "left_wrist",
    "right_shoulder", "right_elbow", "right_wrist",
]  # fmt: skip


@pytest.fixture(scope="module")
def adjacency() -> dict[str, Any]:
    if not ADJACENCY.is_file():
        pytest.skip(f"reference fixtures not found at {ADJACENCY}")
    return json.loads(ADJACENCY.read_text())


def _by_target(edge_index: torch.Tensor, num_nodes: int) -> list[list[int]]:
    """Sources of the edges into each node, in edge order."""
    sources: list[list[int]] = [[] for _ in range(num_nodes)]
    for source, target in edge_index.t().tolist():
        sources[target].append(source)
    return sources


def _row_major(rows: list[list[int]]) -> torch.Tensor:
    """Edge index of the non-zeros of a matrix given by the column support of each row."""
    return torch.tensor(
        [[j for row in rows for j in row], [i for i, row in enumerate(rows) for _ in row]]
    )


# --- bundled skeletons against the reference implementation ------------------------------------


@pytest.mark.parametrize("name", sorted(REFERENCE_SKELETONS))
def test_bundled_skeleton_matches_reference(name: str, adjacency: dict[str, Any]) -> None:
    ref = adjacency[REFERENCE_SKELETONS[name]]
    sk = Skeleton.load(name)
    assert sk.num_joints == int(REFERENCE_SKELETONS[name])
    assert list(sk.parents) == ref["skeleton_parents"]
    assert list(sk.joints_left) == ref["skeleton_joints_left"]
    assert list(sk.joints_right) == ref["skeleton_joints_right"]
    assert list(sk.distal_joints) == ref["distal_joints"]
    assert {frozenset(p) for p in sk.symmetric_pairs} == {
        frozenset(p) for p in ref["symmetric_pairs"]
    }
    assert sk.root == 0


@pytest.mark.parametrize("name", sorted(REFERENCE_SKELETONS))
def test_bundled_graphs_match_reference_masks(name: str, adjacency: dict[str, Any]) -> None:
    ref = adjacency[REFERENCE_SKELETONS[name]]
    sk = Skeleton.load(name)
    connection = sk.edge_index("connection")
    # Same edges in the same (row-major) order as the reference's connection mask.
    assert torch.equal(connection, _row_major(ref["con_row_support"]))
    assert connection.size(1) == ref["nnz_con"]
    assert sk.edge_index("symmetric").size(1) == ref["nnz_sym"]
    first_order = sk.edge_index("first_order")
    with_self = [sorted([*row, i]) for i, row in enumerate(_by_target(first_order, sk.num_joints))]
    assert with_self == ref["neighbours"]
    assert first_order.size(1) + sk.num_joints == ref["nnz_adj"]


def test_available_lists_bundled_skeletons() -> None:
    assert Skeleton.available() == ["coco", "h36m", "h36m_sh", "h36m_toes", "humaneva"]


def test_h36m_joint_names_and_repr() -> None:
    sk = Skeleton.load("h36m")
    assert list(sk.joint_names) == H36M_JOINTS
    assert sk.name == "h36m"
    assert sk.source is not None and sk.source.endswith("h36m.yaml")
    assert "h36m" in repr(sk) and "17" in repr(sk)


def test_coco_edges_form_derives_tree() -> None:
    sk = Skeleton.load("coco")
    assert sk.num_joints == 17
    assert sk.root == 0
    assert sk.joint_names[0] == "nose"
    assert list(sk.parents) == [-1, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14]
    # Distal joints derived from the leaves: ears, wrists, ankles.
    assert list(sk.distal_joints) == [3, 4, 9, 10, 15, 16]
    assert sk.symmetric_pairs == tuple((i, i + 1) for i in range(1, 17, 2))


# --- edge kinds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["h36m", "coco", "humaneva"])
def test_edge_index_dtype_shape_and_order(name: str) -> None:
    sk = Skeleton.load(name)
    for kind in Skeleton.edge_kinds:
        edge_index = sk.edge_index(kind)
        assert edge_index.dtype == torch.int64
        assert edge_index.dim() == 2 and edge_index.size(0) == 2
        assert int(edge_index.min()) >= 0 and int(edge_index.max()) < sk.num_joints
        keys = (edge_index[1] * sk.num_joints + edge_index[0]).tolist()
        assert keys == sorted(set(keys)), f"{kind} not strictly sorted by (target, source)"


def test_edge_kinds_semantics_h36m() -> None:
    sk = Skeleton.load("h36m")
    J = sk.num_joints

    def edges(kind: str) -> set[tuple[int, int]]:
        return {(j, i) for j, i in sk.edge_index(kind).t().tolist()}

    bones = {(p, i) for i, p in enumerate(sk.parents) if p >= 0}
    assert edges("first_order") == bones | {(i, j) for j, i in bones}
    # hip -> ankle, thorax -> head, shoulder -> wrist; into the distal joint only.
    assert edges("second_order") == {(1, 3), (4, 6), (8, 10), (11, 13), (14, 16)}
    loops = {(i, i) for i in range(J)}
    pairs = set(sk.symmetric_pairs)
    assert edges("symmetric") == loops | pairs | {(r, l) for l, r in pairs}
    assert edges("connection") == loops | edges("first_order") | edges("second_order")
    assert edges("global") == {(j, i) for i in range(J) for j in range(J)}
    assert sk.edge_index("global").size(1) == J * J


def test_unknown_edge_kind_names_valid_kinds() -> None:
    with pytest.raises(ValueError, match="second_order") as info:
        Skeleton.load("h36m").edge_index("third_order")
    assert "third_order" in str(info.value)


def test_graph_holds_every_kind_and_batches() -> None:
    sk = Skeleton.load("h36m")
    data = sk.graph()
    assert data.num_nodes == sk.num_joints
    assert torch.equal(data.edge_index, sk.edge_index("connection"))
    for kind in Skeleton.edge_kinds:
        assert torch.equal(data[f"{kind}_edge_index"], sk.edge_index(kind))
    assert data.joint_names == H36M_JOINTS
    batch = Batch.from_data_list([data, sk.graph()])
    symmetric = sk.edge_index("symmetric")
    assert torch.equal(
        batch.symmetric_edge_index, torch.cat([symmetric, symmetric + sk.num_joints], dim=1)
    )


def test_to_networkx_is_the_bone_tree() -> None:
    sk = Skeleton.load("humaneva")
    graph = sk.to_networkx()
    assert sorted(graph.nodes) == list(range(sk.num_joints))
    assert graph.nodes[14]["name"] == "head"
    assert graph.number_of_edges() == sk.num_joints - 1
    assert graph.has_edge(1, 14) and not graph.has_edge(0, 14)


# --- flip permutation ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["h36m", "humaneva", "h36m_sh", "h36m_toes", "coco"])
def test_flip_permutation(name: str) -> None:
    sk = Skeleton.load(name)
    perm = sk.flip_permutation
    assert sorted(perm) == list(range(sk.num_joints))
    assert [perm[p] for p in perm] == list(range(sk.num_joints))
    for left, right in sk.symmetric_pairs:
        assert perm[left] == right and perm[right] == left
    centre = set(range(sk.num_joints)) - set(sk.joints_left) - set(sk.joints_right)
    assert all(perm[i] == i for i in centre)
    x = torch.arange(sk.num_joints, dtype=torch.float32).view(1, -1, 1)
    flipped = x[..., perm, :]
    assert flipped[0, sk.joints_left[0], 0] == sk.joints_right[0]


# --- user files, equality, immutability ---------------------------------------------------------

TOY_EDGES = """\
name: toy
description: a five-joint test skeleton
joints: [hip, left_knee, right_knee, left_foot, right_foot]
edges:
  - [left_knee, hip]
  - [hip, right_knee]
  - [left_knee, left_foot]
  - [right_foot, right_knee]
symmetry: [[left_knee, right_knee], [left_foot, right_foot]]
"""

TOY = {
    "name": "toy",
    "joints": ["hip", "left_knee", "right_knee", "left_foot", "right_foot"],
    "parents": [None, "hip", "hip", "left_knee", "right_knee"],
    "symmetry": [["left_knee", "right_knee"], ["left_foot", "right_foot"]],
}


def test_user_yaml_with_edges(tmp_path: Path) -> None:
    path = tmp_path / "toy.yaml"
    path.write_text(TOY_EDGES)
    sk = Skeleton.load(path)
    assert sk == Skeleton.load(str(path)) == Skeleton.from_yaml(path)
    assert sk.source == str(path)
    assert sk.description == "a five-joint test skeleton"
    assert sk.root == 0
    assert list(sk.parents) == [-1, 0, 0, 1, 2]
    assert list(sk.distal_joints) == [3, 4]  # the leaves
    assert sk.edge_index("second_order").t().tolist() == [[0, 3], [0, 4]]
    assert sk.joints_left == (1, 3) and sk.joints_right == (2, 4)
    # The same tree in the parents form is the same skeleton.
    assert sk == Skeleton.from_dict(TOY)


def test_edges_form_with_explicit_root(tmp_path: Path) -> None:
    path = tmp_path / "toy_root.yaml"
    path.write_text(TOY_EDGES + "root: left_foot\n")
    sk = Skeleton.from_yaml(path)
    assert sk.root == 3
    assert list(sk.parents) == [1, 3, 0, -1, 2]
    # Leaves exclude the root: right_foot only.
    assert list(sk.distal_joints) == [4]


def test_explicit_distal_and_index_constructor() -> None:
    sk = Skeleton.from_dict({**TOY, "distal": ["left_foot"]})
    assert sk.distal_joints == (3,)
    direct = Skeleton("toy", TOY["joints"], [-1, 0, 0, 1, 2], [(1, 2), (3, 4)], [3])
    assert direct == sk
    assert direct != Skeleton.from_dict(TOY)


def test_equality_hash_pickle_and_immutability() -> None:
    sk = Skeleton.load("h36m")
    other = Skeleton.load("h36m")
    assert sk == other and hash(sk) == hash(other)
    assert sk != Skeleton.load("h36m_sh")
    assert pickle.loads(pickle.dumps(sk)) == sk
    assert copy.deepcopy(sk) == sk
    with pytest.raises(AttributeError):
        sk.parents = (0,) * sk.num_joints  # type: ignore[misc]
    with pytest.raises(AttributeError):
        sk.new_attribute = 1  # type: ignore[attr-defined]


def test_load_unknown_name_lists_available() -> None:
    with pytest.raises(SkeletonError) as info:
        Skeleton.load("h37m")
    message = str(info.value)
    assert "h37m" in message
    for name in Skeleton.available():
        assert name in message


def test_from_dict_errors_name_the_source() -> None:
    with pytest.raises(SkeletonError, match="<dict>: `distal`: unknown joint 'ghost'"):
        Skeleton.from_dict({**TOY, "distal": ["ghost"]})


# --- malformed files ----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(SkeletonError, match="absent.yaml.*not found"):
        Skeleton.from_yaml(path)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    directory = tmp_path / "folder.yaml"
    directory.mkdir()
    with pytest.raises(SkeletonError, match="folder.yaml.*not a file"):
        Skeleton.load(directory)


def test_invalid_yaml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: toy\njoints: [hip, knee\n")
    with pytest.raises(SkeletonError, match="broken.yaml.*invalid YAML.*line"):
        Skeleton.from_yaml(path)


def test_python_tags_are_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"!!python/object/apply:os.mkdir ['{marker}']\n")  # runs under unsafe_load
    with pytest.raises(SkeletonError, match="evil.yaml.*python/object"):
        Skeleton.from_yaml(path)
    assert not marker.exists()


EDGES = [["hip", "left_knee"], ["hip", "right_knee"], ["left_knee", "left_foot"],
         ["right_knee", "right_foot"]]  # fmt: skip
_DELETE = object()

# (id, changes to TOY (_DELETE removes a key), substrings the message must contain)
MALFORMED = [
    ("not_mapping", ["hip", "knee"], ["mapping"]),
    ("missing_name", {"name": _DELETE}, ["`name`", "missing"]),
    ("empty_name", {"name": ""}, ["`name`"]),
    ("missing_joints", {"joints": _DELETE}, ["`joints`", "missing"]),
    ("joints_not_list", {"joints": "hip"}, ["`joints`", "'hip'"]),
    ("joint_not_string", {"joints": ["hip", 7, "right_knee", "left_foot", "right_foot"]},
     ["`joints`", "7"]),
    ("duplicate_joint", {"joints": ["hip", "left_knee", "left_knee", "left_foot", "right_foot"]},
     ["`joints`", "'left_knee'", "twice"]),
    ("unknown_parent", {"parents": [None, "hip", "hips", "left_knee", "right_knee"]},
     ["`parents`", "'hips'", "'right_knee'"]),
    ("parents_length", {"parents": [None, "hip", "hip", "left_knee"]},
     ["`parents`", "4 entries", "5 joints"]),
    ("both_forms", {"edges": EDGES}, ["parents/edges", "both"]),
    ("neither_form", {"parents": _DELETE}, ["parents/edges", "neither"]),
    ("two_roots", {"parents": [None, None, "hip", "left_knee", "right_knee"]},
     ["`parents`", "'hip'", "'left_knee'", "one root"]),
    ("no_root", {"parents": ["left_knee", "hip", "hip", "left_knee", "right_knee"]},
     ["`parents`", "no root", "cycle", "'hip'"]),
    ("parent_cycle", {"parents": [None, "left_foot", "hip", "left_knee", "right_knee"]},
     ["`parents`", "cycle", "left_knee", "left_foot"]),
    ("own_parent", {"parents": [None, "left_knee", "hip", "left_knee", "right_knee"]},
     ["`parents`", "cycle", "'left_knee'"]),
    ("unknown_edge_joint", {"parents": _DELETE, "edges": [*EDGES[:3], ["right_knee", "rfoot"]]},
     ["`edges`", "'rfoot'"]),
    ("edge_not_pair", {"parents": _DELETE, "edges": [*EDGES[:3], ["right_knee"]]},
     ["`edges`", "['right_knee']", "2-element"]),
    ("self_edge", {"parents": _DELETE, "edges": [*EDGES, ["left_foot", "left_foot"]]},
     ["`edges`", "self-edge", "'left_foot'"]),
    ("duplicate_edge", {"parents": _DELETE, "edges": [*EDGES, ["left_foot", "left_knee"]]},
     ["`edges`", "left_knee", "left_foot", "twice"]),
    ("edge_cycle", {"parents": _DELETE, "edges": [*EDGES, ["left_foot", "right_foot"]]},
     ["`edges`", "cycle", "left_foot", "right_foot"]),
    ("disconnected", {"parents": _DELETE, "edges": EDGES[:3]},
     ["`edges`", "'right_foot'", "not connected"]),
    ("unknown_symmetry_joint", {"symmetry": [["left_knee", "right_knee"], ["left_foot", "foot"]]},
     ["`symmetry`", "'foot'"]),
    ("pair_not_list", {"symmetry": ["left_knee"]}, ["`symmetry`", "'left_knee'", "2-element"]),
    ("pair_of_three", {"symmetry": [["left_knee", "right_knee", "hip"]]},
     ["`symmetry`", "'hip'", "2-element"]),
    ("paired_with_itself", {"symmetry": [["left_knee", "left_knee"]]},
     ["`symmetry`", "'left_knee'", "itself"]),
    ("joint_in_two_pairs", {"symmetry": [["left_knee", "right_knee"], ["left_foot", "left_knee"]]},
     ["`symmetry`", "'left_knee'", "more than one pair"]),
    ("unknown_distal", {"distal": ["left_foot", "nose"]}, ["`distal`", "'nose'"]),
    ("duplicate_distal", {"distal": ["left_foot", "left_foot"]}, ["`distal`", "'left_foot'"]),
    ("unknown_root", {"root": "torso"}, ["`root`", "'torso'"]),
    ("root_disagrees", {"root": "left_knee"}, ["`root`", "'left_knee'", "'hip'"]),
    ("unknown_key", {"symetry": []}, ["`symetry`", "allowed keys", "symmetry"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "expected"),
    [pytest.param(changes, expected, id=case) for case, changes, expected in MALFORMED],
)
def test_malformed_file(tmp_path: Path, changes: Any, expected: list[str]) -> None:
    if isinstance(changes, dict):
        data = {**TOY, **changes}
        data = {key: value for key, value in data.items() if value is not _DELETE}
    else:
        data = changes
    path = tmp_path / "bad_skeleton.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SkeletonError) as info:
        Skeleton.from_yaml(path)
    message = str(info.value)
    assert path.name in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_toy_base_is_valid(tmp_path: Path) -> None:
    """The malformed cases above each break this valid file in one place."""
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(TOY))
    from_parents = Skeleton.from_yaml(path)
    assert from_parents.num_joints == 5
    edges_form = {key: value for key, value in TOY.items() if key != "parents"}
    assert Skeleton.from_dict({**edges_form, "edges": EDGES}) == from_parents


@pytest.mark.parametrize("name", Skeleton.available())
def test_to_dict_round_trip(name: str) -> None:
    skeleton = Skeleton.load(name)
    again = Skeleton.from_dict(skeleton.to_dict())
    assert again == skeleton
    for kind in Skeleton.edge_kinds:
        assert torch.equal(again.edge_index(kind), skeleton.edge_index(kind))
