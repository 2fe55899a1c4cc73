"""The documentation runs: every ```python block of README.md and docs/*.md is executed, in an
empty folder holding small stand-ins for the files it names, and every relative link of those
files points to a file (and heading) that exists.

A block that cannot run here opts out with the first line ``# doc-test: skip (reason)``;
:func:`test_few_blocks_opt_out` counts them."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))]
SKIP_MARKER = '# doc-test: skip'
#: The most blocks that may opt out of running.
MAX_OPTED_OUT = 2
#: Packages of the optional extras: a block that needs a missing one is skipped, saying which.
OPTIONAL_PACKAGES = ('av', 'cv2', 'matplotlib', 'mediapipe', 'onnx', 'onnxruntime', 'onnxscript')


class Block(NamedTuple):
    """A fenced code block: where it starts (1-based line of the opening fence), its info
    string's first word and its source."""
    document: Path
    line: int
    language: str
    source: str

    @property
    def name(self) -> str:
        return f'{self.document.relative_to(ROOT)}:{self.line}'


def code_blocks(document: Path, text: str) -> list[Block]:
    """The fenced (```` ``` ```` or ``~~~``) code blocks of a Markdown ``text``."""
    blocks, opening, start, language, body = [], None, 0, '', []
    for number, line in enumerate(text.splitlines(), 1):
        fence = re.match(r' {0,3}(`{3,}|~{3,})(.*)$', line)
        if opening is None:
            if fence and '`' not in fence.group(2):
                opening, start, body = fence.group(1), number, []
                language = (fence.group(2).split() or [''])[0].lower()
        elif fence and fence.group(1)[0] == opening[0] and len(fence.group(1)) >= len(opening) \
                and not fence.group(2).strip():
            blocks.append(Block(document, start, language, '\n'.join(body) + '\n'))
            opening = None
        else:
            body.append(line)
    return blocks


def python_blocks() -> list[Block]:
    return [block for document in DOCUMENTS
            for block in code_blocks(document, document.read_text(encoding='utf-8'))
            if block.language in ('python', 'py')]


# Stand-ins for the user's files a block names -----------------------------------------------

#: A person facing the camera in a 1920 x 1080 image, COCO-17 order, pixels.
_COCO_POSE = [(960, 300), (970, 290), (950, 290), (980, 295), (940, 295), (1010, 360),
              (910, 360), (1030, 440), (890, 440), (1040, 510), (880, 510), (990, 520),
              (930, 520), (995, 620), (925, 620), (1000, 720), (920, 720)]
_FRAMES = 64


def keypoints_json(path: Path) -> None:
    """The GAST-Net demo JSON of one person swaying for :data:`_FRAMES` frames."""
    frames = []
    for t in range(_FRAMES):
        sway = 20 * math.sin(2 * math.pi * t / 32)
        pose = [[x + sway + 8 * math.sin(t / 5 + j), y + 4 * math.cos(t / 7 + j)]
                for j, (x, y) in enumerate(_COCO_POSE)]
        frames.append({'frame_index': t, 'skeleton': [
            {'pose': pose, 'score': [[0.9]] * len(pose), 'bbox': [850, 260, 1070, 740]}]})
    path.write_text(json.dumps({'label': 'stand-in', 'label_index': 0, 'data': frames}))


def video(path: Path) -> None:
    """A grey 1920 x 1080 MPEG-4 video of :data:`_FRAMES` frames at 25 fps (needs PyAV)."""
    av = pytest.importorskip('av', reason='a stand-in video needs PyAV (the video extra)')
    import numpy as np
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('mpeg4', rate=25)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, 'yuv420p'
        for t in range(_FRAMES):
            image = np.full((1080, 1920, 3), 96 + t, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format='rgb24')))
        container.mux(stream.encode())


#: File names the documentation uses for the user's files, and how to make a stand-in.
STAND_INS: dict[str, Callable[[Path], None]] = {
    'baseball_hrnet_coco17.json': keypoints_json,
    'clip_keypoints.json': keypoints_json,
    'clip.mp4': video,
}


def make_stand_ins(source: str, folder: Path) -> list[str]:
    """Write the stand-ins of the files ``source`` names (as string literals) into ``folder``."""
    named = [name for name in STAND_INS if f'"{name}"' in source or f"'{name}'" in source]
    for name in named:
        STAND_INS[name](folder / name)
    return named


# The blocks run -----------------------------------------------------------------------------

BLOCKS = python_blocks()


@pytest.mark.parametrize('block', BLOCKS, ids=[block.name for block in BLOCKS])
def test_python_block_runs(block, tmp_path, monkeypatch):
    first = block.source.lstrip().splitlines()[0] if block.source.strip() else ''
    if first.startswith(SKIP_MARKER):
        pytest.skip(f'{block.name}: {first}')
    monkeypatch.chdir(tmp_path)
    make_stand_ins(block.source, tmp_path)
    code = compile(block.source, block.name, 'exec')
    try:
        exec(code, {'__name__': '__doc_block__'})
    except ModuleNotFoundError as error:
        if error.name and error.name.split('.')[0] in OPTIONAL_PACKAGES:
            pytest.skip(f'{block.name} needs {error.name} (an optional extra)')
        raise


def test_the_documentation_has_python_blocks_and_few_opt_out():
    assert len(BLOCKS) >= 4 and any(b.document.name == 'README.md' for b in BLOCKS)
    opted_out = [b for b in BLOCKS if b.source.lstrip().startswith(SKIP_MARKER)]
    for block in opted_out:
        assert re.match(rf'{re.escape(SKIP_MARKER)} \(.+\)', block.source.lstrip()), (
            f'{block.name}: say why: {SKIP_MARKER} (reason)')
    assert len(opted_out) <= MAX_OPTED_OUT, [b.name for b in opted_out]


def test_code_blocks_are_read_as_written():
    text = ('text ```python inline``` text\n'
            '```python\nx = 1\n```\n'
            '````markdown\n```python\nnot = a block\n```\n````\n'
            '~~~ py\ny = 2\n~~~\n'
            '```bash\ngast-pyg --help\n```\n')
    blocks = code_blocks(Path('x.md'), text)
    assert [(b.line, b.language, b.source) for b in blocks] == [
        (2, 'python', 'x = 1\n'), (5, 'markdown', '```python\nnot = a block\n```\n'),
        (10, 'py', 'y = 2\n'), (13, 'bash', 'gast-pyg --help\n')]


def test_stand_ins_are_made_only_for_the_files_a_block_names(tmp_path):
    assert make_stand_ins('prepare_keypoints("baseball_hrnet_coco17.json")\n',
                          tmp_path) == ['baseball_hrnet_coco17.json']
    content = json.loads((tmp_path / 'baseball_hrnet_coco17.json').read_text())
    assert len(content['data']) == _FRAMES
    assert len(content['data'][0]['skeleton'][0]['pose']) == 17
    assert make_stand_ins('print("nothing")\n', tmp_path) == []


# Links ----------------------------------------------------------------------------------------

LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')


def without_code_blocks(text: str) -> str:
    """``text`` with the lines of its code blocks blank."""
    lines = text.splitlines()
    for block in code_blocks(Path('-'), text):
        for number in range(block.line - 1, block.line + block.source.count('\n') + 1):
            lines[number] = ''
    return '\n'.join(lines)


def prose(text: str) -> str:
    """``text`` without its code blocks and code spans (links in code are not links)."""
    return re.sub(r'(`+)(?!`).+?(?<!`)\1(?!`)', '', without_code_blocks(text), flags=re.DOTALL)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: the text without Markdown, lower case, only letters,
    digits, ``-`` and ``_``, spaces as ``-``."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading)
    text = re.sub(r'[`*]', '', text).strip().lower()
    return re.sub(r'[^\w\- ]', '', text).replace(' ', '-')


def anchors(document: Path) -> set[str]:
    """The anchors of the headings of ``document`` (repeated ones numbered as GitHub does)."""
    seen: dict[str, int] = {}
    found = set()
    for line in without_code_blocks(document.read_text(encoding='utf-8')).splitlines():
        heading = re.match(r' {0,3}#{1,6}\s+(.*?)\s*#*\s*$', line)
        if heading:
            base = slug(heading.group(1))
            found.add(base if base not in seen else f'{base}-{seen[base]}')
            seen[base] = seen.get(base, 0) + 1
    return found


def broken_links(document: Path) -> list[str]:
    problems = []
    for target in LINK.findall(prose(document.read_text(encoding='utf-8'))):
        if re.match(r'[a-z][a-z0-9+.-]*:', target):  # https:, mailto:, ...
            continue
        path, _, anchor = target.partition('#')
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists():
            problems.append(f'{target}: no such file')
        elif anchor and linked.suffix == '.md' and anchor not in anchors(linked):
            problems.append(f'{target}: no heading with that anchor in {linked.name}')
    return problems


@pytest.mark.parametrize('document', DOCUMENTS, ids=[str(d.relative_to(ROOT)) for d in DOCUMENTS])
def test_relative_links_resolve(document):
    assert broken_links(document) == []


def test_links_and_anchors_are_read_as_github_does(tmp_path):
    assert slug('Output (`.npz`)') == 'output-npz'
    assert slug("Parity with the authors' implementation") == 'parity-with-the-authors-implementation'
    assert slug('From a video file to 3D: `gast-pyg video`') == 'from-a-video-file-to-3d-gast-pyg-video'
    page = tmp_path / 'page.md'
    page.write_text('# Title\n\n## Usage\n\n## Usage\n\n'
                    '[ok](#usage-1) [self](page.md#title) ![pic](pic.png)\n'
                    '[gone](missing.md) [bad](#nowhere) [web](https://example.org/x)\n'
                    '`[code](not-a-link.md)`\n\n```bash\n[block](not-a-link.md)\n```\n')
    (tmp_path / 'pic.png').write_bytes(b'')
    assert broken_links(page) == ['missing.md: no such file',
                                  '#nowhere: no heading with that anchor in page.md']
