# The README's C recipe (cargo build --release, cc … -Ltarget/release, run), exactly as written.
TEST_TARGETS += test-recipe

.PHONY: test-recipe
test-recipe: deps-node
	tests/recipe/test_readme_recipe.sh
