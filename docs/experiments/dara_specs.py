"""The --phase SPEC of each weighed component of dara_dev (formulas resolved in the built-in
AMCSD; In2O3 and La(OH)3 from their CIFs), shared by the dara_* experiment scripts."""
D = "../shared/data/measured/dara_dev"
C = "../shared/data/cif"
spec = {"In2O3": f"{C}/In2O3_Marezio1966.cif", "La(OH)3": f"{C}/LaOH3_Beall1977.cif",
        "TiO2": "TiO2", "MnCO3": "MnCO3", "Li2CO3": "Li2CO3", "ZrO2": "ZrO2", "NiO": "NiO",
        "Bi2O3": "Bi2O3", "ZnO": "ZnO", "V2O5": "V2O5"}
