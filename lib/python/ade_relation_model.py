import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file
from transformers import AutoTokenizer, BertConfig, BertModel


class AdeRelationModel(nn.Module):
    """BERT's hidden states, concatenated -> dropout -> BiLSTM -> flatten -> Linear -> Linear -> GELU."""

    def __init__(self, config):
        super().__init__()
        self.head = head = config.adeflow_relation_head
        self.bert = BertModel(config, add_pooling_layer=False)
        features = len(head["hidden_states"]) * config.hidden_size
        self.dropout = nn.Dropout(head["dropout"])
        self.lstm = nn.LSTM(features, head["lstm_units"], batch_first=True, bidirectional=True)
        self.dense = nn.Linear(head["max_length"] * 2 * head["lstm_units"], head["dense_units"])
        self.classifier = nn.Linear(head["dense_units"], head["max_length"] * head["num_classes"])

    @classmethod
    def from_folder(cls, folder):
        model = cls(BertConfig.from_pretrained(folder))
        model.load_state_dict(load_file(f"{folder}/model.safetensors"))  # strict: every tensor, nothing else
        return model.eval()

    def forward(self, input_ids, attention_mask):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        x = torch.cat([out.hidden_states[i] for i in self.head["hidden_states"]], dim=-1)
        # no features at padding: the LSTM reads zeros there, as adeflow trained it
        x = self.dropout(x * attention_mask.unsqueeze(-1).to(x.dtype))
        x, _ = self.lstm(x)  # over every position, padding included (no packing), as it was trained
        x = F.gelu(self.classifier(self.dense(x.flatten(1))))  # exact (erf) GELU
        return x.view(-1, self.head["max_length"], self.head["num_classes"])


def encode_words(tokenizer, words, max_length, mask_token_ids=None):
    """[CLS], each word's pieces (the word tokenized alone), [SEP]; cut or padded to max_length.
    mask_token_ids (the head's "mask_token_ids", for an uncased vocabulary): the DRUG and EFFECT masks' own ids."""
    ids, word_of = [tokenizer.cls_token_id], [None]
    fixed = mask_token_ids or {}
    for i, word in enumerate(words):
        pieces = [fixed[word]] if word in fixed else tokenizer.encode(word, add_special_tokens=False)
        ids, word_of = ids + pieces, word_of + [i] * len(pieces)
    ids, word_of = (ids + [tokenizer.sep_token_id])[:max_length], (word_of + [None])[:max_length]
    mask = [1] * len(ids) + [0] * (max_length - len(ids))
    ids = ids + [tokenizer.pad_token_id] * (max_length - len(ids))
    return torch.tensor([ids]), torch.tensor([mask]), word_of


def associations(model, tokenizer, words):
    """Each word's association (the arg-max at its first piece): 0 outside any pair, k for the k-th pair."""
    ids, mask, word_of = encode_words(tokenizer, words, model.head["max_length"], model.head.get("mask_token_ids"))
    with torch.no_grad():
        best = model(ids, mask)[0].argmax(-1).tolist()
    out = [0] * len(words)
    for position in reversed(range(len(word_of))):  # backwards, so that a word's first piece is read last
        if word_of[position] is not None:
            out[word_of[position]] = best[position]
    return out
