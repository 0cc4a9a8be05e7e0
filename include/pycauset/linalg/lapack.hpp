#pragma once
// Dense in-RAM linear algebra on Arrays through the bundled LAPACK.
// (Filled in by the linear-algebra work; see python/pycauset/linalg.py.)
#include "pycauset/array/array.hpp"
