import json, sys, os, importlib, traceback
import torch, transformers
from transformers import CONFIG_MAPPING
from transformers.models.auto.configuration_auto import model_type_to_module_name
out = open(os.path.join(os.environ.get("OUT", "."), "hf.jsonl"), "w")
print("transformers", transformers.__version__, file=sys.stderr)
for line in open("catalog.jsonl"):
    e = json.loads(line)
    d = json.load(open(e["config"]))
    mt = d["model_type"]
    try:
        conf = CONFIG_MAPPING[mt](**d)
        text = conf.get_text_config() if hasattr(conf, "get_text_config") else conf
        mod = importlib.import_module(f"transformers.models.{model_type_to_module_name(mt)}.modeling_{model_type_to_module_name(mt)}")
        classes = [getattr(mod, n) for n in dir(mod) if n.endswith("RotaryEmbedding") and "Vision" not in n and "Vit" not in n and "Audio" not in n]
        classes.sort(key=lambda c: len(c.__name__))
        cls = classes[0]
        layer_types = None
        rp = getattr(text, "rope_parameters", None)
        if isinstance(rp, dict) and rp and all(isinstance(v, dict) or v is None for v in rp.values()) and "rope_type" not in rp:
            layer_types = [k for k, v in rp.items() if v is not None]
        for L in e["context_lengths"]:
            m = cls(config=text)
            pos = torch.tensor([[0, L - 1]])
            x = torch.zeros(1, 2, 8, dtype=torch.float32)
            for lt in (layer_types or [None]):
                try:
                    if lt is None:
                        m(x, pos)
                        inv = m.inv_freq
                        att = m.attention_scaling
                    else:
                        m(x, pos, lt)
                        inv = getattr(m, f"{lt}_inv_freq")
                        att = getattr(m, f"{lt}_attention_scaling")
                    out.write(json.dumps({"model_id": e["model_id"], "context_length": L, "layer_type": lt, "cls": cls.__name__,
                        "inv_freq": [float(v) for v in inv.flatten()], "attention_factor": float(att)}) + "\n")
                except Exception as ex:
                    out.write(json.dumps({"model_id": e["model_id"], "context_length": L, "layer_type": lt, "cls": cls.__name__, "error": repr(ex)[:400]}) + "\n")
    except Exception as ex:
        out.write(json.dumps({"model_id": e["model_id"], "error": repr(ex)[:600], "trace": traceback.format_exc()[-800:]}) + "\n")
out.close()
