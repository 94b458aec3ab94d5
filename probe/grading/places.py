"""Country names and nationality adjectives, which qualify an answer instead of competing with it.

"Paris, France" and "the French engineer Gustave Eiffel" name one value each. A country
after a city can still be wrong ("Paris, Canada"), but the gold answer gives no country to
compare it with, so the grader reads it as a qualifier.
"""

# Countries that are also common personal names (Jordan, Chad, Georgia, Israel) are left
# out, so that "Pippen and Jordan" still shows a competing name.
# fmt: off
_COUNTRIES = """
afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan
bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia
herzegovina botswana brazil brunei bulgaria burkina faso burundi cambodia cameroon canada
chile china colombia comoros congo croatia cuba cyprus czechia czech republic denmark
djibouti dominica ecuador egypt el salvador eritrea estonia eswatini ethiopia fiji finland
france gabon gambia germany ghana greece grenada guatemala guyana haiti honduras hungary
iceland india indonesia iran iraq ireland italy jamaica japan kazakhstan kenya kiribati
korea kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein
lithuania luxembourg madagascar malawi malaysia maldives malta mauritania mauritius mexico
micronesia moldova monaco mongolia montenegro morocco mozambique myanmar burma namibia nauru
nepal netherlands holland new zealand nicaragua nigeria norway oman pakistan palau panama
papua paraguay peru philippines poland portugal qatar romania russia rwanda samoa san marino
saudi arabia senegal serbia seychelles singapore slovakia slovenia somalia south africa
spain sri lanka sudan suriname sweden switzerland syria taiwan tajikistan tanzania thailand
togo tonga trinidad tobago tunisia turkmenistan tuvalu uganda ukraine united kingdom
states america usa uk uruguay uzbekistan vanuatu vatican venezuela vietnam yemen zambia
zimbabwe england scotland wales
"""
_NATIONALITIES = """
afghan albanian algerian american andorran angolan argentine argentinian armenian
australian austrian azerbaijani bangladeshi belarusian belgian bolivian bosnian brazilian
british bulgarian cambodian cameroonian canadian chilean chinese colombian congolese
croatian cuban cypriot czech danish dutch ecuadorian egyptian english eritrean estonian
ethiopian fijian filipino finnish french german ghanaian greek guatemalan haitian
honduran hungarian icelandic indian indonesian iranian iraqi irish israeli italian
jamaican japanese jordanian kazakh kenyan korean kuwaiti latvian lebanese liberian libyan
lithuanian malagasy malaysian maltese mexican moldovan mongolian moroccan nepalese
nigerian norwegian pakistani panamanian paraguayan persian peruvian polish portuguese
romanian russian rwandan saudi scottish senegalese serbian singaporean slovak slovenian
somali spanish sudanese swedish swiss syrian taiwanese thai tunisian turkish ugandan
ukrainian uruguayan uzbek venezuelan vietnamese welsh yemeni zambian zimbabwean
"""
# fmt: on

# Single words, lower case, as the grader compares capitalised words one at a time.
QUALIFIER_WORDS = frozenset(_COUNTRIES.split()) | frozenset(_NATIONALITIES.split())
