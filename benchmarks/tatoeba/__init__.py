"""Tatoeba bitext mining (LASER's 112 language pairs with English), scored as MTEB does."""
