# lit configuration of pare's IR and emission tests.
import os
import lit.formats

config.name = "pare"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".onnxtext"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.pare_obj_root, "tests", "lit")

config.environment["PATH"] = os.pathsep.join([
    os.path.join(config.pare_tools_dir, "pare"),
    os.path.join(config.pare_tools_dir, "pare-opt"),
    config.llvm_tools_dir,
    config.environment.get("PATH", os.environ.get("PATH", "")),
])
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%srcroot", config.pare_src_root))
