#include "pycauset/linalg/lapack.hpp"
