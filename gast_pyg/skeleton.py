"""Body skeletons: validated YAML descriptions of a joint tree, turned into PyG graphs.

A skeleton is a tree of named joints. Its joint order is the node order of every tensor of shape
``(..., joints, channels)`` in the package. :class:`Skeleton` reads and validates a YAML file
(schema in ``DESIGN.md``, section 4), checks the topology with :mod:`networkx` and derives the
directed graphs GAST-Net aggregates over (:meth:`Skeleton.edge_index`).
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import networkx as nx
import torch
import yaml
from torch_geometric.data import Data

from gast_pyg.errors import GastPygError
from gast_pyg.validation import SAFE_NAME, bounded_repr

__all__ = ["Skeleton", "SkeletonError"]

_ALLOWED_KEYS = ("name", "joints", "parents", "edges", "symmetry", "distal", "root", "description")
_YAML_SUFFIXES = (".yaml", ".yml")
#: Largest skeleton file read, in bytes (the bundled ones are under 2 KB).
MAX_YAML_BYTES = 1 << 20
#: Most values a skeleton document may hold once its aliases are expanded.
MAX_YAML_VALUES = 100_000


class SkeletonError(GastPygError):
    """A malformed skeleton description.

    The message names the file (or other source), the offending field and value, and what was
    expected.
    """


def _fail(source: str, field: str, message: str) -> NoReturn:
    raise SkeletonError(f"{source}: `{field}`: {message}")


def _bundled_dir() -> Path:
    """Directory of the bundled skeleton files: inside the package when installed, else the
    ``skeletons/`` directory at the root of a source checkout."""
    packaged = Path(__file__).resolve().parent / "skeletons"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "skeletons"


def _check_joint_names(joints: Any, source: str) -> tuple[str, ...]:
    if not isinstance(joints, Sequence) or isinstance(joints, str) or not joints:
        _fail(
            source,
            "joints",
            f"got {bounded_repr(joints)}; expected a non-empty list of joint names",
        )
    seen: set[str] = set()
    for position, joint in enumerate(joints):
        if not isinstance(joint, str) or not SAFE_NAME.fullmatch(joint):
            _fail(
                source,
                "joints",
                f"entry {position} is {bounded_repr(joint)}; expected a name of 1 to 64 letters, "
                "digits and _ . - not starting with . or -",
            )
        if joint in seen:
            _fail(source, "joints", f"joint {joint!r} is listed twice; expected unique names")
        seen.add(joint)
    return tuple(joints)


def _as_index(value: Any, names: tuple[str, ...], source: str, field: str) -> int:
    """``value`` as a joint index, checked against the joint count."""
    try:
        index = operator.index(value)
    except TypeError:
        index = -1
    if not 0 <= index < len(names):
        _fail(
            source,
            field,
            f"got {bounded_repr(value)}; expected a joint index in 0..{len(names) - 1}",
        )
    return index


def _bone_pairs(parents: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """``(joint, parent)`` for every joint with a parent (``-1`` marks the root)."""
    return tuple((i, p) for i, p in enumerate(parents) if p >= 0)



def _expanded_size(node: yaml.Node, sizes: dict[int, int], limit: int) -> int:
    """Values under ``node`` with every alias expanded, counted up to just above ``limit``
    (``sizes`` memoises shared nodes, so an alias bomb costs its node count, not its size)."""
    key = id(node)
    if key not in sizes:
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        total = 1
        for child in children:
            total += _expanded_size(child, sizes, limit)
            if total > limit:
                break
        sizes[key] = total
    return sizes[key]


def _load_yaml(text: str, source: str) -> Any:
    """``yaml.safe_load(text)``, refusing documents whose aliases expand to more than
    :data:`MAX_YAML_VALUES` values before anything is built."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        values = _expanded_size(node, {}, MAX_YAML_VALUES)
        if values > MAX_YAML_VALUES:
            raise SkeletonError(
                f"{source}: the document expands to more than {MAX_YAML_VALUES} values "
                "(aliases repeating aliases?); expected a skeleton description"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _joint_path(names: Sequence[str], cycle: Sequence[int], separator: str, limit: int = 8) -> str:
    """The joints of ``cycle`` back to the first, at most ``limit`` of them named."""
    shown = [names[i] for i in cycle[:limit]]
    if len(cycle) > limit:
        return separator.join(shown) + f"{separator}... ({len(cycle)} joints)"
    return separator.join([*shown, names[cycle[0]]])


def _parent_cycle(parents: Sequence[int]) -> list[int] | None:
    """Joints of one cycle of the child -> parent links (``-1``: none), in link order, or
    ``None``; linear time: every joint is walked through once."""
    state = [0] * len(parents)  # 0: not seen, 1: on the current walk, 2: leads to no cycle
    for start in range(len(parents)):
        walk = []
        joint = start
        while joint >= 0 and state[joint] == 0:
            state[joint] = 1
            walk.append(joint)
            joint = parents[joint]
        if joint >= 0 and state[joint] == 1:
            return walk[walk.index(joint):]
        for visited in walk:
            state[visited] = 2
    return None


def _bfs_parents(neighbours: Sequence[Sequence[int]], root: int) -> list[int]:
    """Parent of each joint in a breadth-first search from ``root`` (``-1`` for the root,
    ``-2`` for joints it does not reach)."""
    parents = [-2] * len(neighbours)
    parents[root] = -1
    queue = [root]
    for joint in queue:
        for neighbour in neighbours[joint]:
            if parents[neighbour] == -2:
                parents[neighbour] = joint
                queue.append(neighbour)
    return parents


def _edge_cycle(edges: Sequence[tuple[int, int]], num_joints: int) -> list[int] | None:
    """Joints of one cycle closed by the undirected ``edges``, in path order, or ``None``;
    near-linear time (union-find, then one search when an edge closes a cycle)."""
    neighbours: list[list[int]] = [[] for _ in range(num_joints)]
    component = list(range(num_joints))

    def find(joint: int) -> int:
        while component[joint] != joint:
            component[joint] = component[component[joint]]
            joint = component[joint]
        return joint

    for a, b in edges:
        if find(a) == find(b):
            parents = _bfs_parents(neighbours, a)
            path = [b]
            while path[-1] != a:
                path.append(parents[path[-1]])
            return path
        component[find(a)] = find(b)
        neighbours[a].append(b)
        neighbours[b].append(a)
    return None


class Skeleton:
    """An immutable, validated skeleton: a tree of named joints plus left/right mirror pairs.

    Joint ``i`` is node ``i`` of every graph and index ``i`` of the joint axis of every tensor.
    Edge indices follow PyG's ``source_to_target`` flow: an edge ``j -> i`` (``edge_index[0] == j``,
    ``edge_index[1] == i``) means that joint ``i`` aggregates from joint ``j``. Every edge list is
    sorted by ``(target, source)``, i.e. in the row-major order of the non-zeros of the
    ``J x J`` matrix ``M[target, source]``; this is the order of the reference implementation's
    per-edge parameters.

    Build one with :meth:`load` (bundled name or path), :meth:`from_yaml` or :meth:`from_dict`;
    the constructor takes the same content in index form.

    Args:
        name: Name of the skeleton.
        joint_names: Unique joint names, in tensor order.
        parents: Parent index per joint, ``-1`` for the single root.
        symmetric_pairs: ``(left, right)`` joint index pairs; each joint in at most one pair.
        distal_joints: Ends of kinematic chains (e.g. ankles, wrists, head), which also aggregate
            from their second-order neighbours. Defaults to the leaves of the tree.
        source: Where the description came from, used in error messages.
        description: Free text.

    Raises:
        SkeletonError: If the content is inconsistent; the message names the YAML field.
    """

    edge_kinds: ClassVar[tuple[str, ...]] = (
        "first_order",
        "second_order",
        "symmetric",
        "connection",
        "global",
    )

    __slots__ = (
        "name",
        "joint_names",
        "parents",
        "joints_left",
        "joints_right",
        "distal_joints",
        "root",
        "source",
        "description",
        "_second_order",
    )

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    joints_left: tuple[int, ...]
    joints_right: tuple[int, ...]
    distal_joints: tuple[int, ...]
    root: int
    source: str | None
    description: str | None
    _second_order: tuple[tuple[int, int], ...]  # (target, source) pairs

    def __init__(
        self,
        name: str,
        joint_names: Sequence[str],
        parents: Sequence[int],
        symmetric_pairs: Iterable[Sequence[int]] = (),
        distal_joints: Iterable[int] | None = None,
        *,
        source: str | None = None,
        description: str | None = None,
    ) -> None:
        where = source if source is not None else "<Skeleton>"
        if not isinstance(name, str) or not name:
            _fail(where, "name", f"got {bounded_repr(name)}; expected a non-empty string")
        if description is not None and not isinstance(description, str):
            _fail(where, "description", f"got {bounded_repr(description)}; expected a string")
        names = _check_joint_names(joint_names, where)
        parent_indices = self._check_parents(parents, names, where)
        root = parent_indices.index(-1)
        tree = nx.Graph()
        tree.add_nodes_from(range(len(names)))
        tree.add_edges_from(_bone_pairs(parent_indices))
        left, right = self._check_pairs(symmetric_pairs, names, where)
        if distal_joints is None:
            distal = tuple(i for i in tree if tree.degree[i] == 1 and i != root)
        else:
            distal = self._check_distal(distal_joints, names, where)
        second_order = tuple(
            (distal_joint, joint)
            for distal_joint in distal
            for joint, hops in nx.single_source_shortest_path_length(tree, distal_joint, 2).items()
            if hops == 2
        )
        for attribute, value in (
            ("name", name),
            ("joint_names", names),
            ("parents", parent_indices),
            ("joints_left", left),
            ("joints_right", right),
            ("distal_joints", distal),
            ("root", root),
            ("source", source),
            ("description", description),
            ("_second_order", second_order),
        ):
            object.__setattr__(self, attribute, value)

    @staticmethod
    def _check_parents(
        parents: Sequence[int], names: tuple[str, ...], source: str
    ) -> tuple[int, ...]:
        if len(parents) != len(names):
            _fail(
                source,
                "parents",
                f"has {len(parents)} entries for {len(names)} joints; expected one per joint",
            )
        indices = [
            -1 if parent == -1 else _as_index(parent, names, source, f"parents[{position}]")
            for position, parent in enumerate(parents)
        ]
        roots = [names[i] for i, parent in enumerate(indices) if parent == -1]
        if len(roots) > 1:
            _fail(
                source,
                "parents",
                f"joints {', '.join(map(repr, roots))} have parent null; expected exactly one root",
            )
        cycle = _parent_cycle(indices)
        if cycle is not None:
            path = _joint_path(names, cycle, " -> ")
            no_root = "" if roots else "no root (parent null), and "
            _fail(
                source,
                "parents",
                f"{no_root}joint {names[cycle[0]]!r} is on a cycle ({path}); expected a tree",
            )
        return tuple(indices)

    @staticmethod
    def _check_pairs(
        pairs: Iterable[Sequence[int]], names: tuple[str, ...], source: str
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        left: list[int] = []
        right: list[int] = []
        paired: set[int] = set()
        for pair in pairs:
            if len(pair) != 2:
                _fail(
                    source,
                    "symmetry",
                    f"got {bounded_repr(pair)}; expected a (left, right) index pair",
                )
            a, b = (_as_index(joint, names, source, "symmetry") for joint in pair)
            if a == b:
                _fail(
                    source,
                    "symmetry",
                    f"joint {names[a]!r} is paired with itself; expected two different joints",
                )
            for joint in (a, b):
                if joint in paired:
                    _fail(
                        source,
                        "symmetry",
                        f"joint {names[joint]!r} is in more than one pair; "
                        "expected each joint in at most one pair",
                    )
            paired.update((a, b))
            left.append(a)
            right.append(b)
        return tuple(left), tuple(right)

    @staticmethod
    def _check_distal(
        distal: Iterable[int], names: tuple[str, ...], source: str
    ) -> tuple[int, ...]:
        indices: set[int] = set()
        for joint in distal:
            index = _as_index(joint, names, source, "distal")
            if index in indices:
                _fail(
                    source,
                    "distal",
                    f"joint {names[index]!r} is listed twice; expected unique joints",
                )
            indices.add(index)
        return tuple(sorted(indices))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> Skeleton:
        """Build a skeleton from a parsed YAML mapping (schema: ``DESIGN.md``, section 4).

        Exactly one of ``parents`` (parent name per joint, ``null`` for the root) and ``edges``
        (undirected bones; parents are then derived by breadth-first search from ``root``, which
        defaults to the first joint) must be given.

        Raises:
            SkeletonError: On any malformed field; the message names ``source``, the field and
                the offending joint or value.
        """
        if not isinstance(data, Mapping):
            raise SkeletonError(
                f"{source}: top level is {type(data).__name__}; expected a mapping with keys "
                + ", ".join(_ALLOWED_KEYS)
            )
        for key in data:
            if key not in _ALLOWED_KEYS:
                _fail(
                    source, str(key)[:64], "unknown key; allowed keys: " + ", ".join(_ALLOWED_KEYS)
                )
        for key, expected in (("name", "a non-empty string"), ("joints", "a list of joint names")):
            if key not in data:
                _fail(source, key, f"missing; expected {expected}")
        names = _check_joint_names(data["joints"], source)
        index = {joint: i for i, joint in enumerate(names)}

        def lookup(field: str, joint: Any, context: str = "") -> int:
            if not isinstance(joint, str) or joint not in index:
                _fail(
                    source,
                    field,
                    f"unknown joint {bounded_repr(joint)}{context}; "
                    "expected a name listed in `joints`",
                )
            return index[joint]

        def name_list(field: str) -> list[Any]:
            value = data.get(field, [])
            if not isinstance(value, list):
                _fail(source, field, f"got {bounded_repr(value)}; expected a list")
            return value

        def name_pair(field: str, pair: Any) -> tuple[int, int]:
            if not isinstance(pair, list) or len(pair) != 2:
                _fail(
                    source,
                    field,
                    f"entry {bounded_repr(pair)} is not a pair; expected a 2-element list",
                )
            if all(isinstance(joint, str) and joint in index for joint in pair):
                return index[pair[0]], index[pair[1]]
            first, second = (lookup(field, joint, f" in {bounded_repr(pair)}") for joint in pair)
            return first, second

        root = lookup("root", data["root"]) if "root" in data else None
        if ("parents" in data) == ("edges" in data):
            given = "both are given" if "parents" in data else "neither is given"
            _fail(source, "parents/edges", f"{given}; expected exactly one of them")
        if "parents" in data:
            parent_names = name_list("parents")
            if len(parent_names) != len(names):
                _fail(
                    source,
                    "parents",
                    f"has {len(parent_names)} entries for {len(names)} joints; "
                    "expected one per joint",
                )
            parents = [
                -1 if parent is None else lookup("parents", parent, f" (parent of {joint!r})")
                for joint, parent in zip(names, parent_names)
            ]
        else:
            parents = cls._parents_from_edges(
                [name_pair("edges", edge) for edge in name_list("edges")],
                names,
                0 if root is None else root,
                source,
            )
        distal = (
            [lookup("distal", joint) for joint in name_list("distal")]
            if "distal" in data
            else None
        )
        skeleton = cls(
            data["name"],
            names,
            parents,
            [name_pair("symmetry", pair) for pair in name_list("symmetry")],
            distal,
            source=source,
            description=data.get("description"),
        )
        if root is not None and root != skeleton.root:
            _fail(
                source,
                "root",
                f"{names[root]!r} disagrees with `parents`; expected "
                f"{names[skeleton.root]!r}, the joint whose parent is null",
            )
        return skeleton

    @staticmethod
    def _parents_from_edges(
        edges: list[tuple[int, int]], names: tuple[str, ...], root: int, source: str
    ) -> list[int]:
        bones: set[tuple[int, int]] = set()
        for a, b in edges:
            if a == b:
                _fail(source, "edges", f"self-edge on joint {names[a]!r}; expected two joints")
            if (a, b) in bones:
                _fail(
                    source,
                    "edges",
                    f"edge [{names[a]}, {names[b]}] is listed twice; expected unique bones",
                )
            bones.update(((a, b), (b, a)))
        cycle = _edge_cycle(edges, len(names))
        if cycle is not None:
            path = _joint_path(names, cycle, " - ")
            _fail(
                source,
                "edges",
                f"joint {names[cycle[0]]!r} is on a cycle ({path}); expected a tree",
            )
        neighbours: list[list[int]] = [[] for _ in names]
        for a, b in edges:
            neighbours[a].append(b)
            neighbours[b].append(a)
        parents = _bfs_parents(neighbours, root)
        if -2 in parents:
            _fail(
                source,
                "edges",
                f"joint {names[parents.index(-2)]!r} is not connected to the root "
                f"{names[root]!r}; expected a connected tree",
            )
        return parents

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> Skeleton:
        """Read and validate a skeleton YAML file (parsed with :func:`yaml.safe_load`).

        Raises:
            SkeletonError: If the file is missing, unreadable, larger than
                :data:`MAX_YAML_BYTES`, not valid YAML, expands to more than
                :data:`MAX_YAML_VALUES` values through aliases, or is malformed.
        """
        path = Path(path)
        if not path.exists():
            raise SkeletonError(f"{path}: file not found; expected a skeleton YAML file")
        if not path.is_file():
            raise SkeletonError(f"{path}: not a file; expected a skeleton YAML file")
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise SkeletonError(
                f"{path}: {size} bytes; expected a skeleton YAML file of at most "
                f"{MAX_YAML_BYTES} bytes"
            )
        try:
            data = _load_yaml(path.read_text(encoding="utf-8"), str(path))
        except SkeletonError:
            raise
        except (OSError, UnicodeDecodeError) as error:
            raise SkeletonError(f"{path}: cannot read file: {error}") from error
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or error
            raise SkeletonError(f"{path}: invalid YAML{at}: {problem}") from error
        except (RecursionError, ValueError) as error:
            # ValueError: an integer longer than Python converts (sys.get_int_max_str_digits).
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            raise SkeletonError(f"{path}: invalid YAML: {reason[:200]}") from error
        return cls.from_dict(data, source=str(path))

    @classmethod
    def load(cls, name_or_path: str | os.PathLike[str] | Skeleton) -> Skeleton:
        """Load a bundled skeleton by name (see :meth:`available`) or a YAML file by path.

        A :class:`~pathlib.Path`, or a string containing a path separator or ending in ``.yaml``
        / ``.yml``, is read as a file; any other string is a bundled name. A :class:`Skeleton`
        is returned unchanged.

        Raises:
            SkeletonError: For an unknown name (the message lists the available ones) or a
                malformed file.
        """
        if isinstance(name_or_path, Skeleton):
            return name_or_path
        if not isinstance(name_or_path, str):
            return cls.from_yaml(name_or_path)
        if name_or_path.endswith(_YAML_SUFFIXES) or any(
            separator and separator in name_or_path for separator in (os.sep, os.altsep)
        ):
            return cls.from_yaml(name_or_path)
        available = cls.available()
        if name_or_path not in available:
            raise SkeletonError(
                f"unknown skeleton {bounded_repr(name_or_path)}; "
                f"available: {', '.join(available) or 'none'} "
                "(or pass the path of a .yaml file)"
            )
        return cls.from_yaml(_bundled_dir() / f"{name_or_path}.yaml")

    @staticmethod
    def available() -> list[str]:
        """Sorted names of the bundled skeletons."""
        directory = _bundled_dir()
        if not directory.is_dir():
            return []
        return sorted(path.stem for path in directory.glob("*.yaml"))

    @property
    def num_joints(self) -> int:
        """Number of joints ``J``."""
        return len(self.joint_names)

    @property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """``(joint, parent)`` index pairs of every non-root joint, in joint order."""
        return _bone_pairs(self.parents)

    @property
    def symmetric_pairs(self) -> tuple[tuple[int, int], ...]:
        """``(left, right)`` joint index pairs, in file order."""
        return tuple(zip(self.joints_left, self.joints_right))

    @property
    def flip_permutation(self) -> list[int]:
        """``perm[i]`` is the mirror joint of ``i`` (``i`` itself for centre joints).

        ``x[..., perm, :]`` swaps left and right joints; the permutation is an involution.
        """
        perm = list(range(self.num_joints))
        for left, right in self.symmetric_pairs:
            perm[left], perm[right] = right, left
        return perm

    def to_networkx(self) -> nx.Graph:
        """The bone tree as an undirected graph with nodes ``0..J-1`` carrying a ``name``."""
        graph = nx.Graph(name=self.name)
        graph.add_nodes_from((i, {"name": joint}) for i, joint in enumerate(self.joint_names))
        graph.add_edges_from(self.bones)
        return graph

    def edge_index(self, kind: str) -> torch.Tensor:
        """Directed edges of one graph as an int64 tensor of shape ``(2, E)``.

        Row 0 holds sources ``j``, row 1 targets ``i``; columns are sorted by ``(i, j)``.

        Kinds:
            * ``first_order``: both directions of every bone, no self-loops.
            * ``second_order``: ``j -> d`` for each distal joint ``d`` and each joint ``j`` at
              graph distance exactly 2 from ``d`` (into the distal joint only).
            * ``symmetric``: a self-loop on every joint plus ``left <-> right`` for every pair.
            * ``connection``: self-loops, ``first_order`` and ``second_order``.
            * ``global``: the complete graph including self-loops (``J * J`` edges).

        Raises:
            SkeletonError: For an unknown kind.
        """
        joints = range(self.num_joints)
        first_order = list(self.bones) + [(p, i) for i, p in self.bones]
        self_loops = [(i, i) for i in joints]
        if kind == "first_order":
            pairs = first_order
        elif kind == "second_order":
            pairs = list(self._second_order)
        elif kind == "symmetric":
            mirrored = self.symmetric_pairs
            pairs = self_loops + list(mirrored) + [(right, left) for left, right in mirrored]
        elif kind == "connection":
            pairs = self_loops + first_order + list(self._second_order)
        elif kind == "global":
            pairs = [(i, j) for i in joints for j in joints]
        else:
            raise SkeletonError(
                f"unknown edge kind {bounded_repr(kind)}; expected one of {self.edge_kinds}"
            )
        target_source = torch.tensor(sorted(set(pairs)), dtype=torch.long).reshape(-1, 2)
        return target_source.flip(1).t().contiguous()

    def graph(self) -> Data:
        """All graphs of the skeleton as one :class:`~torch_geometric.data.Data`.

        ``edge_index`` is the ``connection`` graph; ``<kind>_edge_index`` holds each kind of
        :meth:`edge_index`; ``joint_names`` lists the node names; ``num_nodes`` is ``J``.
        """
        data = Data(edge_index=self.edge_index("connection"), num_nodes=self.num_joints)
        for kind in self.edge_kinds:
            data[f"{kind}_edge_index"] = self.edge_index(kind)
        data.joint_names = list(self.joint_names)
        return data

    def to_dict(self) -> dict[str, Any]:
        """The skeleton in the YAML schema (``parents`` form), such that
        ``Skeleton.from_dict(sk.to_dict()) == sk``; checkpoints embed it."""
        names = self.joint_names
        data: dict[str, Any] = {
            "name": self.name,
            "joints": list(names),
            "parents": [names[p] if p >= 0 else None for p in self.parents],
            "symmetry": [[names[left], names[right]] for left, right in self.symmetric_pairs],
            "distal": [names[d] for d in self.distal_joints],
            "root": names[self.root],
        }
        if self.description is not None:
            data["description"] = self.description
        return data

    def _content(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.joint_names,
            self.parents,
            self.joints_left,
            self.joints_right,
            self.distal_joints,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Skeleton):
            return NotImplemented
        return self._content() == other._content()

    def __hash__(self) -> int:
        return hash(self._content())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, num_joints={self.num_joints}, "
            f"root={self.joint_names[self.root]!r}, source={self.source!r})"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __getstate__(self) -> dict[str, Any]:
        return {attribute: getattr(self, attribute) for attribute in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for attribute, value in state.items():
            object.__setattr__(self, attribute, value)
