"""PyInstaller runtime hook for fAIk Desktop (runs before the entry script).

1. The frozen app never reaches a network. The bundle carries its model; a user may
   still load a model *folder*. A hub id can only be resolved from a local Hugging Face
   cache: the frozen app is meant for air-gapped laptops, so transformers and
   huggingface_hub are told not to try (a user can override by exporting HF_HUB_OFFLINE=0).

2. torch reads some of its own Python source at import time (``typing.overload`` checks,
   config modules), so its ``.py`` files must be readable. ``build.spec`` stores them in one
   compressed ``torch-sources.zip`` (~4x smaller than the loose files); this hook teaches
   PyInstaller's module loader to serve ``get_source`` from that archive, which is what
   ``inspect.getsource`` / ``linecache`` fall back to when the ``.py`` file is not on disk.
"""

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _install_zipped_sources(archive_name="torch-sources.zip"):
    archive = os.path.join(sys._MEIPASS, archive_name)
    importers = sys.modules.get("pyimod02_importers")
    if importers is None or not os.path.isfile(archive):
        return
    import zipfile
    from tokenize import detect_encoding
    import io

    loader_cls = importers.PyiFrozenLoader
    original = loader_cls.get_source
    state = {"zip": None, "names": None}
    root = os.path.normpath(sys._MEIPASS)

    def get_source(self, fullname):
        source = original(self, fullname)
        if source is not None:
            return source
        path = os.path.normpath(getattr(self, "path", "") or "")
        if not path.startswith(root + os.sep):
            return None
        member = os.path.relpath(path, root).replace(os.sep, "/")
        if state["zip"] is None:
            state["zip"] = zipfile.ZipFile(archive)
            state["names"] = set(state["zip"].namelist())
        if member not in state["names"]:
            return None
        data = state["zip"].read(member)
        encoding, _ = detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding).replace("\r\n", "\n")

    loader_cls.get_source = get_source


_install_zipped_sources()
