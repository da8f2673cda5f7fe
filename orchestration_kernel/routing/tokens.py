def estimate_tokens(text, model=None):
    return max(1, len(text)//4) if text else 0
