"""Run by Blender (``blender --background --factory-startup --python THIS -- IN.bvh OUT.json``):
import a BVH with Blender's own importer (default axes: BVH Y up -> Blender Z up) and write the
world position of every bone's head in every frame, ``{"frames": [{bone: [x, y, z]}]}``, in
Blender's axes. Used by tests/test_bvh.py.

Debian's Blender 3.4 runs on Python 3.11, which no longer accepts the ``'rU'`` mode its BVH
importer opens files with; the importer module gets an ``open`` without the ``U``."""
import builtins
import json
import sys

import bpy
from io_anim_bvh import import_bvh


def _open(path, mode='r', *args, **kwargs):
    return builtins.open(path, mode.replace('U', ''), *args, **kwargs)


import_bvh.open = _open

source, target = sys.argv[sys.argv.index('--') + 1:][:2]
bpy.ops.import_anim.bvh(filepath=source, update_scene_fps=True, update_scene_duration=True)
armature = bpy.context.selected_objects[0]
scene = bpy.context.scene
frames = []
for frame in range(scene.frame_start, scene.frame_end + 1):
    scene.frame_set(frame)
    frames.append({bone.name: list(armature.matrix_world @ bone.head)
                   for bone in armature.pose.bones})
with open(target, 'w') as file:
    json.dump({'fps': scene.render.fps / scene.render.fps_base, 'frames': frames}, file)
