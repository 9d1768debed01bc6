"""cookbook: exact transformer arithmetic (parameters, FLOPs, memory, time) in pure Python."""

from cookbook.errors import CookbookError
from cookbook.hf import from_hf_config
from cookbook.model import MLAConfig, ModelConfig, MoEConfig
from cookbook.params import ParamCount, count_params
from cookbook.presets import get_preset

__version__ = "0.1.0"
__all__ = ["CookbookError", "ModelConfig", "MoEConfig", "MLAConfig", "ParamCount", "count_params",
           "from_hf_config", "get_preset", "__version__"]
