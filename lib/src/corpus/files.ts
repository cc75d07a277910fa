/**
 * The three files of ADE Corpus V2 (Gurulingappa et al., J Biomed Inform 2012), where the public copy lives
 * and the SHA-256 of each. The canonical copy is the one the Hugging Face `ade_corpus_v2` loader downloads.
 */
export const CORPUS_BASE_URL = "https://raw.githubusercontent.com/trunghlt/AdverseDrugReaction/master/ADE-Corpus-V2";

export type CorpusFileName = "DRUG-AE.rel" | "ADE-NEG.txt" | "DRUG-DOSE.rel";

export const CORPUS_FILES: Readonly<Record<CorpusFileName, { sha256: string; description: string }>> = {
  "DRUG-AE.rel": {
    sha256: "542cdc483ccc94927762eaf2c9a8ecac49a6c10037dda2895be6a6e20160f75a",
    description: "drug - adverse effect relations",
  },
  "ADE-NEG.txt": {
    sha256: "8f506c159042ce354fbf26981dc39971dde8f09b1158d94106eab1e516e53fcf",
    description: "sentences without an adverse effect",
  },
  "DRUG-DOSE.rel": {
    sha256: "78b46dfcdc1325d7f81e5e01f5a424e380e4b38fafca02f6e8f67064ca73f2db",
    description: "drug - dose relations",
  },
};

export const CORPUS_FILE_NAMES = Object.keys(CORPUS_FILES) as CorpusFileName[];
