"""Render one frame of a BVH file as Blender imports it (docs/images/blender-baseball.png).

    blender --background --factory-startup --python scripts/render-bvh-frame.py -- \
        IN.bvh OUT.png FRAME

Blender's own BVH importer builds the armature; each joint becomes a sphere and each bone to its
parent a cylinder at the imported pose of FRAME (Blender's frame numbers start at 1), rendered
with Cycles on the CPU over a floor. Debian's Blender 3.4 runs on Python 3.11, which refuses the
importer's 'rU' file mode: the importer module gets an open() without the U.
"""
import builtins
import sys

import bpy
from io_anim_bvh import import_bvh
from mathutils import Vector


def _open(path, mode='r', *args, **kwargs):
    return builtins.open(path, mode.replace('U', ''), *args, **kwargs)


import_bvh.open = _open
source, target, frame = sys.argv[sys.argv.index('--') + 1:][:3]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_anim.bvh(filepath=source)
armature = bpy.context.selected_objects[0]
scene = bpy.context.scene
scene.frame_set(int(frame))

material = bpy.data.materials.new('bone')
material.use_nodes = True
bsdf = material.node_tree.nodes['Principled BSDF']
bsdf.inputs['Base Color'].default_value = (0.8, 0.15, 0.15, 1)


def add(shape, **options):
    getattr(bpy.ops.mesh, f'primitive_{shape}_add')(**options)
    bpy.context.object.data.materials.append(material)
    return bpy.context.object


joints = []
for bone in armature.pose.bones:
    head = armature.matrix_world @ bone.head
    joints.append(head)
    add('uv_sphere', radius=3.0, location=head)
    if bone.parent is not None:
        segment = armature.matrix_world @ bone.parent.head - head
        cylinder = add('cylinder', radius=2.0, depth=segment.length, location=head + segment / 2)
        cylinder.rotation_mode = 'QUATERNION'
        cylinder.rotation_quaternion = segment.to_track_quat('Z', 'Y')

low = [min(p[i] for p in joints) for i in range(3)]
high = [max(p[i] for p in joints) for i in range(3)]
centre = [(a + b) / 2 for a, b in zip(low, high)]
bpy.ops.mesh.primitive_plane_add(size=600, location=(centre[0], centre[1], low[2]))
bpy.ops.object.camera_add(location=(centre[0] + 120, centre[1] - 330, centre[2] + 60))
camera = scene.camera = bpy.context.object
camera.rotation_mode = 'QUATERNION'
camera.rotation_quaternion = (Vector(centre) - camera.location).to_track_quat('-Z', 'Y')
camera.data.clip_end = 5000
bpy.ops.object.light_add(type='SUN', location=(0, 0, 500), rotation=(0.6, 0.3, 0.5))
bpy.context.object.data.energy = 4
scene.world = bpy.data.worlds.new('background')
scene.world.color = (0.8, 0.8, 0.8)
scene.render.engine = 'CYCLES'
scene.cycles.device, scene.cycles.samples, scene.cycles.use_denoising = 'CPU', 16, False
scene.render.resolution_x, scene.render.resolution_y = 640, 480
scene.render.filepath = target
bpy.ops.render.render(write_still=True)
