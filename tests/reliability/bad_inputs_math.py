"""Bad inputs of the pointwise math ops, the Huber / smooth-L1 losses and Adadelta added for
issue 20 (groups SHAPES, DTYPES, OPTIM, ARGS)."""
from minigrad import functional as F
from minigrad import nn, optim

from .bad_inputs import (ARGS, DTYPES, LAYERS, OPTIM, SHAPES, T, case,  # noqa: F401
                         seeded, trained, with_optimizer)

# -- unary ops: a non-Tensor input ------------------------------------------------------------

for rows, fname, fn in [
        (["sin"], "Sin", F.sin), (["cos"], "Cos", F.cos), (["tan"], "Tan", F.tan),
        (["asin"], "Asin", F.asin), (["acos"], "Acos", F.acos), (["atan"], "Atan", F.atan),
        (["sinh"], "Sinh", F.sinh), (["cosh"], "Cosh", F.cosh), (["log2"], "Log2", F.log2),
        (["log10"], "Log10", F.log10), (["log1p"], "Log1p", F.log1p),
        (["expm1"], "Expm1", F.expm1), (["exp2"], "Exp2", F.exp2),
        (["square"], "Square", F.square), (["rsqrt"], "Rsqrt", F.rsqrt),
        (["reciprocal"], "Reciprocal", F.reciprocal), (["erf"], "Erf", F.erf),
        (["sign"], "Sign", F.sign), (["floor"], "Floor", F.floor), (["ceil"], "Ceil", F.ceil),
        (["trunc"], "Trunc", F.trunc), (["round"], "Round", F.round),
        (["softplus"], "Softplus", F.softplus), (["silu"], "SiLU", F.silu),
        (["elu"], "ELU", F.elu), (["hardtanh"], "Hardtanh", F.hardtanh),
        (["relu6"], "Hardtanh", F.relu6), (["logsigmoid"], "LogSigmoid", F.logsigmoid),
        (["mish"], "Mish", F.mish)]:
    case(f"{rows[0]}_list_input", DTYPES, f"`{rows[0]}` of a Python list instead of a Tensor",
         lambda tmp: {"values": [1.0, 2.0]}, lambda o, fn=fn: fn(o.values), TypeError,
         [f"{fname}: input 0 must be a Tensor", "got list"], rows)

# -- binary: atan2 ----------------------------------------------------------------------------

case("atan2_no_broadcast", SHAPES, "`atan2` of shapes that do not broadcast",
     lambda tmp: {"a": T(2, 3), "b": T(4, seed=1)}, lambda o: F.atan2(o.a, o.b), ValueError,
     ["atan2: shapes", "(2, 3)", "(4,)", "do not broadcast"], ["atan2"])
case("atan2_operand_type", DTYPES, "`atan2` with a str operand",
     lambda tmp: {"a": T(3)}, lambda o: F.atan2(o.a, "1"), TypeError,
     ["atan2: expected a Tensor, an array or a number", "got str"], ["atan2"])

# -- arguments of the math ops and activations -------------------------------------------------

case("round_float_decimals", ARGS, "`round` with a float number of decimals",
     lambda tmp: {"x": T(3)}, lambda o: F.round(o.x, decimals=0.5), TypeError,
     ["round: decimals must be an int", "got 0.5 (float)"], ["round_decimals"])
case("softplus_zero_beta", ARGS, "`softplus` with beta = 0",
     lambda tmp: {"x": T(3)}, lambda o: F.softplus(o.x, beta=0), ValueError,
     ["softplus: beta must be a nonzero finite number", "got 0"], ["softplus_beta_threshold"])
case("softplus_threshold_type", ARGS, "`softplus` with a str threshold",
     lambda tmp: {"x": T(3)}, lambda o: F.softplus(o.x, threshold="20"), TypeError,
     ["softplus: threshold must be a finite number", "got '20' (str)"], ["softplus"])
case("elu_alpha_type", ARGS, "`elu` with a str alpha",
     lambda tmp: {"x": T(3)}, lambda o: F.elu(o.x, alpha="1"), TypeError,
     ["elu: alpha must be a finite number", "got '1' (str)"], ["elu"])
case("hardtanh_bounds_reversed", ARGS, "`hardtanh` with min_val > max_val",
     lambda tmp: {"x": T(3)}, lambda o: F.hardtanh(o.x, 2.0, 1.0), ValueError,
     ["hardtanh: min_val cannot be greater than max_val", "min_val=2.0", "max_val=1.0"],
     ["hardtanh_bounds"])
case("ELU_alpha_type", ARGS, "an `ELU` layer with a str alpha",
     lambda tmp: {}, lambda o: nn.ELU(alpha="1"), TypeError,
     ["ELU: alpha must be a finite number", "got '1' (str)"])
case("Softplus_zero_beta", ARGS, "a `Softplus` layer with beta = 0",
     lambda tmp: {}, lambda o: nn.Softplus(beta=0), ValueError,
     ["Softplus: beta must be a nonzero finite number", "got 0"])
case("Hardtanh_bounds_reversed", ARGS, "a `Hardtanh` layer with min_val > max_val",
     lambda tmp: {}, lambda o: nn.Hardtanh(1, -1), ValueError,
     ["Hardtanh: min_val cannot be greater than max_val", "min_val=1", "max_val=-1"])

# -- smooth L1 and Huber losses -----------------------------------------------------------------

for row, fn in [("smooth_l1_loss", F.smooth_l1_loss), ("huber_loss", F.huber_loss)]:
    case(f"{row}_shapes", SHAPES, f"`F.{row}` of input and target of different shapes",
         lambda tmp: {"x": T(3, 4), "t": T(3, 1, seed=1)},
         lambda o, fn=fn: fn(o.x, o.t), ValueError,
         [f"{row}: input (3, 4) and target (3, 1) must have the same shape"], [row])
    case(f"{row}_reduction", ARGS, f"`F.{row}` with an unknown reduction",
         lambda tmp: {"x": T(3), "t": T(3, seed=1)},
         lambda o, fn=fn: fn(o.x, o.t, reduction="avg"), ValueError,
         [f"{row}: reduction must be one of", "'mean'", "'avg'"], [row])
case("smooth_l1_loss_negative_beta", ARGS, "`F.smooth_l1_loss` with a negative beta",
     lambda tmp: {"x": T(3), "t": T(3, seed=1)},
     lambda o: F.smooth_l1_loss(o.x, o.t, beta=-1.0), ValueError,
     ["smooth_l1_loss: beta must be a finite number ≥ 0.0", "got -1.0"], ["smooth_l1_loss"])
case("huber_loss_zero_delta", ARGS, "`F.huber_loss` with delta = 0",
     lambda tmp: {"x": T(3), "t": T(3, seed=1)},
     lambda o: F.huber_loss(o.x, o.t, delta=0), ValueError,
     ["huber_loss: delta must be a finite number > 0.0", "got 0"], ["huber_loss"])
case("huber_loss_integer_input", DTYPES, "`F.huber_loss` of an integer input",
     lambda tmp: {"x": T(3, dtype="int64"), "t": T(3, seed=1)},
     lambda o: F.huber_loss(o.x, o.t), TypeError,
     ["huber_loss: input must be floating point", "got dtype int64"], ["huber_loss"])
case("SmoothL1Loss_shapes", LAYERS, "`SmoothL1Loss` of input and target of different shapes",
     lambda tmp: {"loss": nn.SmoothL1Loss(beta=0.5), "x": T(2, 3), "t": T(3, seed=1)},
     lambda o: o.loss(o.x, o.t), ValueError,
     ["SmoothL1Loss(): smooth_l1_loss: input (2, 3) and target (3,) must have the same shape"])
case("HuberLoss_negative_delta", ARGS, "a `HuberLoss` with a negative delta",
     lambda tmp: {}, lambda o: nn.HuberLoss(delta=-1.0), ValueError,
     ["HuberLoss: delta must be a finite number > 0.0", "got -1.0"])

# -- Adadelta --------------------------------------------------------------------------------------

case("adadelta_rho_out_of_range", OPTIM, "Adadelta with rho > 1",
     seeded(lambda tmp: {"model": nn.Linear(2, 2)}),
     lambda o: optim.Adadelta(o.model.parameters(), rho=1.5), ValueError,
     ["Adadelta: rho must be in [0.0, 1.0]", "got 1.5"])
case("adadelta_state_from_rmsprop", OPTIM, "RMSprop state loaded into Adadelta",
     with_optimizer(optim.Adadelta, lambda: trained(nn.Linear(3, 4), optim.RMSprop,
                                                    lr=0.1).state_dict()),
     lambda o: o.opt.load_state_dict(o.state), ValueError,
     ["Adadelta.load_state_dict", "lacks the options", "'rho'",
      "saved by another optimizer class"])
