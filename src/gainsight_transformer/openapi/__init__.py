"""The OpenAPI document's material: schemas, examples, and the routes' decorator arguments."""
