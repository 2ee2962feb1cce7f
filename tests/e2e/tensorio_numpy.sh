#!/usr/bin/env bash
# Interoperability of rksim's tensor files with numpy and h5py (the
# independent reference): files written by numpy/h5py are read by rksim's
# test helper and vice versa, value for value.
set -euo pipefail
PY=${PYTHON:-/usr/bin/python3}
$PY -c "import numpy, h5py" 2>/dev/null || { echo "skip: numpy/h5py missing"; exit 77; }
TOOL="$RKSIM_BUILD/tests/tensorio-tool"
[ -x "$TOOL" ] || { echo "missing $TOOL"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

$PY - "$T" <<'PY'
import sys, numpy as np, h5py
d = sys.argv[1]
rng = np.random.default_rng(7)
arrs = {
  "f32": rng.standard_normal((2, 3, 4)).astype(np.float32),
  "f16": rng.standard_normal((5,)).astype(np.float16),
  "i8": np.array([[-128, 127, 0]], dtype=np.int8),
  "u8": np.arange(6, dtype=np.uint8).reshape(2, 3),
  "i64": np.array([-(2**40), 3], dtype=np.int64),
  "b": np.array([True, False, True]),
  "scalar": np.float32(2.5),
}
with h5py.File(f"{d}/np.h5", "w") as f:
    for k, v in arrs.items():
        f[k] = v
    f["grp/inner"] = np.ones((2, 2), np.int32)
np.save(f"{d}/np.npy", arrs["f32"])
PY

# rksim reads numpy/h5py files and writes them back; h5py checks equality.
"$TOOL" copy "$T/np.h5" "$T/rk.h5"
"$TOOL" npy "$T/np.npy" "$T/rk.npy"
$PY - "$T" <<'PY'
import sys, numpy as np, h5py
d = sys.argv[1]
with h5py.File(f"{d}/np.h5") as a, h5py.File(f"{d}/rk.h5") as b:
    names = []
    a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    for n in names:
        x, y = a[n][()], b[n.replace("/", "%2F")][()] if n.replace("/", "%2F") in b else b[n][()]
        assert x.shape == y.shape, (n, x.shape, y.shape)
        assert np.array_equal(np.asarray(x).astype(np.float64), np.asarray(y).astype(np.float64)), n
        if x.dtype != np.bool_:
            assert x.dtype == y.dtype, (n, x.dtype, y.dtype)
assert np.array_equal(np.load(f"{d}/np.npy"), np.load(f"{d}/rk.npy"))
print("tensorio: numpy/h5py interop ok")
PY
